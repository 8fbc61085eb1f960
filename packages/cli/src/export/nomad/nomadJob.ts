/**
 * The part of Nomad's job API (`nomad job run -json`, the structs of hashicorp/nomad's `api/`
 * package at v2.0.6) that the export writes. Field names are the API's; durations are nanoseconds.
 * `nomad-job.schema.json` describes the same fields for the tests' check.
 */

/** Nanoseconds, the API's unit for every duration. */
export type Nanoseconds = number;

export const NS_PER_MS = 1_000_000;

export interface NomadRestartPolicy {
  Attempts: number;
  Interval: Nanoseconds;
  Delay: Nanoseconds;
  Mode: 'delay' | 'fail';
}

export interface NomadReschedulePolicy {
  Attempts?: number;
  Interval?: Nanoseconds;
  Delay?: Nanoseconds;
  DelayFunction?: 'constant' | 'exponential' | 'fibonacci';
  MaxDelay?: Nanoseconds;
  Unlimited: boolean;
}

export interface NomadCheck {
  Name: string;
  Type: 'http' | 'tcp' | 'script';
  Command?: string;
  Args?: string[];
  Path?: string;
  Protocol?: string;
  PortLabel?: string;
  Interval: Nanoseconds;
  Timeout: Nanoseconds;
  FailuresBeforeCritical?: number;
  CheckRestart?: { Limit: number; Grace: Nanoseconds; IgnoreWarnings: boolean };
}

export interface NomadService {
  Name: string;
  Provider: 'consul';
  PortLabel?: string;
  Checks?: NomadCheck[];
}

export interface NomadTask {
  Name: string;
  Driver: string;
  User?: string;
  Lifecycle?: { Hook: 'prestart' | 'poststart' | 'poststop'; Sidecar: boolean };
  Config: { command: string; args?: string[]; work_dir?: string };
  Env?: Record<string, string>;
  Services?: NomadService[];
  Resources?: { MemoryMB: number };
  KillSignal?: string;
  KillTimeout?: Nanoseconds;
  LogConfig?: { MaxFiles?: number; MaxFileSizeMB?: number; Disabled?: boolean };
}

/** A group's network: fixed (`ReservedPorts`) and picked (`DynamicPorts`) ports, by label. */
export interface NomadNetwork {
  ReservedPorts?: { Label: string; Value: number }[];
  DynamicPorts?: { Label: string }[];
}

export interface NomadTaskGroup {
  Name: string;
  Count: number;
  RestartPolicy?: NomadRestartPolicy;
  ReschedulePolicy?: NomadReschedulePolicy;
  Networks?: NomadNetwork[];
  Tasks: NomadTask[];
}

export interface NomadJob {
  ID: string;
  Name: string;
  Type: 'service';
  Datacenters: string[];
  Meta?: Record<string, string>;
  TaskGroups: NomadTaskGroup[];
}

/** What `nomad job run -json` reads: the job under `Job`, as `nomad job inspect` prints it. */
export interface NomadJobFile {
  Job: NomadJob;
}

/** Nomad's drivers for plain processes: `raw_exec` (no isolation) and `exec` (chroot, cgroups). */
export const NOMAD_DRIVERS = ['raw_exec', 'exec'] as const;
export type NomadDriver = (typeof NOMAD_DRIVERS)[number];

/** Consul service names are DNS labels (Nomad checks RFC 1123): lower case, digits and `-`, 63 at most. */
export function consulName(job: string, service: string): string {
  const name = `${job}-${service}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name.slice(0, 63).replace(/-+$/, '');
}
