/**
 * The exports' entry for `commands/export.ts`, which imports it only when an export runs: the
 * mappers read @kepler/config, which the full CLI (help, completion) must not load.
 */

export { exportNomad } from './nomad/exportNomad.js';
export { NOMAD_DRIVERS, type NomadDriver } from './nomad/nomadJob.js';
export { findExecutable } from './resolveExecutable.js';
export { exportSystemd } from './systemd/exportSystemd.js';
export { detectSystemdVersion, FALLBACK_SYSTEMD_VERSION } from './systemd/systemdVersion.js';
