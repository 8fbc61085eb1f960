import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BakedConfig } from '@kepler/config';
import { Command, Option } from 'clipanion';
import { loadConfigLib } from '../configLib.js';
import { EXIT_OK, UsageError } from '../errors.js';
import {
  defaultStackName,
  type ExportWarning,
  formatWarning,
  isValidStackName,
  selectServices,
} from '../export/exportTypes.js';
import { ConfigCommand, captureEnv } from './BaseCommand.js';

/** What both exports do first: bake the config here (no daemon) and pick the services. */
abstract class ExportCommand extends ConfigCommand {
  services = Option.Rest({ name: 'service' });

  /** The baked config and the services named (all when none is). */
  protected async bake(): Promise<{ baked: BakedConfig; services: string[] }> {
    const { loadConfig } = await loadConfigLib();
    const baked = await loadConfig({
      path: await this.configPath(),
      overlays: await this.overlayPaths(),
      env: captureEnv(this.context.env),
    });
    return { baked, services: selectServices(baked, this.services) };
  }

  /** Each warning on its own stderr line. */
  protected warn(warnings: readonly ExportWarning[]): void {
    for (const warning of warnings) this.err(`${formatWarning(warning)}\n`);
  }
}

/** `kepler export systemd`: unit files for the config's services. */
export class ExportSystemdCommand extends ExportCommand {
  static override paths = [['export', 'systemd']];

  static override usage = Command.Usage({
    category: 'Export',
    description: 'Write systemd units for a config: a .service per service and a .target',
    details: `
      Bakes the config here (no daemon needed) and writes, into DIR (default: the current directory,
      created when missing), \`<name>-<service>.service\` for each service (all, or those named),
      \`<name>-<service>.env\` beside it (its complete environment, mode 0600, read through
      EnvironmentFile=) and \`<name>.target\`, which wants them all. \`<name>\` is \`--name\`, else the
      config directory's name.

      Commands are resolved to absolute paths here, as systemd requires. \`RestartSteps=\` and
      \`RestartMaxDelaySec=\` are written only for systemd 254 and later: the version is that of the
      installed systemd, or \`--systemd-version\` (the output is the same for the same snapshot, DIR
      and version).

      Every setting systemd cannot express (health checks, \`restart.watch\`, \`on_init\`, log
      retention, ...) is printed on stderr as a warning naming the service and key, and written as a
      comment at the top of its unit.
    `,
    examples: [
      ['Write units for every service into ./units', '$0 export systemd -o ./units'],
      ['Install two services system-wide', 'sudo $0 export systemd -o /etc/systemd/system web worker'],
      [
        'Write units for systemd 254 whatever is installed',
        '$0 export systemd -o ./units --systemd-version 254',
      ],
    ],
  });

  output = Option.String('-o,--output', { description: 'Directory to write to (default: the current one)' });
  name = Option.String('--name', {
    description: 'Prefix of the file names (default: the config directory name)',
  });
  systemdVersion = Option.String('--systemd-version', {
    description: 'Write units for this systemd version (default: the installed one)',
  });

  override async execute(): Promise<number> {
    const lib = await import('../export/index.js');
    const version = this.version(lib);
    if (this.name !== undefined && !isValidStackName(this.name)) {
      throw new UsageError(`--name ${this.name}: use letters, digits, '_', '.' and '-'`);
    }
    const { baked, services } = await this.bake();
    const dir = resolve(process.cwd(), this.output ?? '.');
    const { files, warnings } = lib.exportSystemd(baked, {
      services,
      name: this.name ?? defaultStackName(baked),
      dir,
      systemdVersion: version,
      lookup: lib.findExecutable,
    });
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) {
      throw new UsageError(
        `-o ${this.output}: not a directory (export systemd writes a file per unit into a directory)`,
      );
    }
    mkdirSync(dir, { recursive: true });
    for (const file of files) {
      const path = join(dir, file.name);
      writeFileSync(path, file.content, { mode: file.mode });
      chmodSync(path, file.mode); // an existing file keeps its mode through writeFileSync
      this.out(`${path}\n`);
    }
    this.warn(warnings);
    return EXIT_OK;
  }

  private version(lib: typeof import('../export/index.js')): number {
    if (this.systemdVersion !== undefined) {
      if (!/^\d{1,4}$/.test(this.systemdVersion)) {
        throw new UsageError(`--systemd-version ${this.systemdVersion}: expected a number such as 252`);
      }
      return Number(this.systemdVersion);
    }
    const detected = lib.detectSystemdVersion();
    if (detected !== null) return detected;
    this.err(
      `warning: no systemd found here: writing units for systemd ${lib.FALLBACK_SYSTEMD_VERSION} (see --systemd-version)\n`,
    );
    return lib.FALLBACK_SYSTEMD_VERSION;
  }
}

/** The drivers `--driver` accepts (Nomad's for plain processes). */
const DRIVERS = ['raw_exec', 'exec'] as const;

/** `kepler export nomad`: a Nomad job for the config. */
export class ExportNomadCommand extends ExportCommand {
  static override paths = [['export', 'nomad']];

  static override usage = Command.Usage({
    category: 'Export',
    description: 'Write a Nomad job (JSON, for `nomad job run -json`) for a config',
    details: `
      Bakes the config here (no daemon needed) and prints a Nomad job in the JSON form that
      \`nomad job run -json\` reads, or writes it to FILE (mode 0600: it holds the environment; missing
      directories are created). Each service (all, or those named) is a task group of its own: a task running the
      command with its environment and user under the \`raw_exec\` driver (or \`--driver exec\`),
      restart and reschedule blocks from the restart policy and backoff, a Consul service with the
      health check (http, tcp or script), kill signal and timeout, lifecycle tasks for the
      \`pre_start\`, \`post_start\` and \`post_stop\` hooks, and for each dependency a prestart task
      that waits until Consul lists it. The job is named \`--job\`, else after the config directory.

      Every setting Nomad cannot express is printed on stderr as a warning naming the service and key.
      The fields follow Nomad 2.0's job API.
    `,
    examples: [
      ['Print the job', '$0 export nomad'],
      [
        'Write it to a file and run it',
        '$0 export nomad -o job.json --job shop && nomad job run -json job.json',
      ],
      ['Use the exec driver (chroot, cgroups)', '$0 export nomad --driver exec -o job.json'],
    ],
  });

  output = Option.String('-o,--output', { description: 'File to write (default: stdout)' });
  job = Option.String('--job', { description: 'Job ID and name (default: the config directory name)' });
  driver = Option.String('--driver', 'raw_exec', { description: 'Task driver: raw_exec (default) or exec' });

  override async execute(): Promise<number> {
    if (!(DRIVERS as readonly string[]).includes(this.driver)) {
      throw new UsageError(`--driver ${this.driver}: expected raw_exec or exec`);
    }
    if (this.job !== undefined && !isValidStackName(this.job)) {
      throw new UsageError(`--job ${this.job}: use letters, digits, '_', '.' and '-'`);
    }
    const lib = await import('../export/index.js');
    const { baked, services } = await this.bake();
    const { job, warnings } = lib.exportNomad(baked, {
      services,
      job: this.job ?? defaultStackName(baked),
      driver: this.driver as (typeof DRIVERS)[number],
      lookup: lib.findExecutable,
    });
    const text = `${JSON.stringify(job, null, 2)}\n`;
    if (this.output === undefined) {
      this.out(text);
    } else {
      const path = resolve(process.cwd(), this.output);
      if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
        const example = join(this.output, 'job.json');
        throw new UsageError(
          `-o ${this.output}: a directory (export nomad writes one file: name it, e.g. -o ${example})`,
        );
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text, { mode: 0o600 });
      chmodSync(path, 0o600); // an existing file keeps its mode through writeFileSync
    }
    this.warn(warnings);
    return EXIT_OK;
  }
}
