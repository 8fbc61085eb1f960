/**
 * Every message the CLI and the daemon exchange. Requests are a discriminated union on `type`; each
 * request's result type lives in `ResultOf`, from which both the client facade and the daemon's
 * handler table are derived, so an unhandled request is a compile error.
 *
 * Wire envelopes (see `Frame`): the client sends `request` and `cancel`; the daemon answers with
 * exactly one `response` per request id, and, for streaming requests, any number of `event`s with
 * that id before the response. New fields must be optional; bump PROTOCOL_VERSION otherwise.
 */

import type { AdhocCaller, AdhocService } from './adhoc.js';
import type { InspectRequests, InspectResults } from './inspectMessages.js';
import type { LogLine, LogsResult } from './logMessages.js';
import type { ServiceNetwork } from './networkInfo.js';
import type { SnapshotNote } from './snapshotNotes.js';
import type { UsageEvent, UsageRequests, UsageResults } from './usageMessages.js';

export type { ClearedLog, LogLine, LogsResult, RetentionSetting } from './logMessages.js';

/**
 * Bump when a change would make an older CLI or daemon misread a message (a removed or retyped field,
 * a new required field, a changed meaning). Adding an optional field or a new request type does not.
 */
// 2: the `begun` event of start/restart in follow mode (a new StreamEvent type).
// 3: `ConfigRef.overlays` (optional, but a daemon that dropped it would bake the first file alone).
export const PROTOCOL_VERSION = 3;

/*
 * FROZEN FOREVER, whatever PROTOCOL_VERSION becomes, because a CLI must be able to tell a daemon of
 * any other version that they differ, in one clear line, before anything else is understood:
 * - framing: a 4-byte big-endian payload length, then one msgpack value (plain maps, no records);
 * - the first frame a client sends: `{kind: 'request', id, request: {type: 'hello', protocol, client}}`;
 * - the daemon's answer: `{kind: 'response', id, ok: true, result: {protocol, version, pid}}` where
 *   `protocol` is the daemon's PROTOCOL_VERSION even when it differs from the client's (the client
 *   decides and says "the daemon runs protocol N, this CLI speaks M: restart the daemon"); or
 *   `{kind: 'response', id, ok: false, error: {code: 'PROTOCOL_MISMATCH', message, data: {protocol}}}`.
 * A daemon should answer hello in either form, never by closing the connection.
 *
 * Compatibility within one version: unknown fields are ignored by validation (so new optional
 * fields are fine) and an unknown error `code` arrives as INTERNAL with the code in the message.
 * A new request type is answered BAD_REQUEST by an older daemon. A new StreamEvent type, kind or
 * ServiceStatus makes an older peer reject the frame: bump the version for those.
 */

/**
 * The longest wait a start may ask for (`timeoutMs`): Node's timers hold at most 2^31-1 ms (about 24.8
 * days) and a longer one fires at once, so 24 days leaves the client its own grace on top.
 */
export const MAX_WAIT_MS = 24 * 86_400_000;

/** Service statuses, one word each, used in ps, JSON, state.json and on the wire. */
export const SERVICE_STATUSES = [
  'stopped',
  'waiting',
  'starting',
  'running',
  'healthy',
  'unhealthy',
  'stopping',
  'restarting',
  'exited',
  'failed',
] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

/** Which config a request is about: the CLI resolves the canonical path and captures its environment. */
export interface ConfigRef {
  /** Canonical absolute path of the config file (symlinks resolved). */
  readonly path: string;
  /** The CLI's environment, used when the config is (re)baked; ignored when a snapshot exists. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Canonical absolute paths of the overlay files (the second and later `-f`), merged over `path` in
   * order when the config is (re)baked; ignored when a snapshot exists. `path` alone is the config's
   * identity. Absent means none.
   */
  readonly overlays?: readonly string[];
}

/** A service as shown by `ps` (the wire type; state.json has its own persisted type). */
export interface ServiceInfo extends ServiceNetwork {
  readonly config: string;
  readonly name: string;
  readonly status: ServiceStatus;
  readonly pid: number | null;
  readonly exitCode: number | null;
  /** Signal name that ended the last run, e.g. `SIGKILL`. */
  readonly signal: string | null;
  readonly restarts: number;
  /** ISO-8601 time of the current or last start. */
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  /** `healthy` / `unhealthy` / `starting` while checks have not decided yet; null without a health check. */
  readonly health: 'starting' | 'healthy' | 'unhealthy' | null;
  readonly healthFailures: number;
  readonly lastHealthOutput: string | null;
  /** One-line reason for `failed`, `waiting` or `restarting`. */
  readonly reason: string | null;
  /**
   * Lines of the service's output (its hooks' included) that could not be written to its log files
   * since the daemon started (a full disk, an I/O error); their place in the log holds a marker line
   * `[kepler] N lines not stored: <reason>`. Absent when every line was stored (and from older daemons).
   */
  readonly logsNotStored?: number;
  /**
   * Soft dependencies (`required: false`) of a launched service whose condition does not hold now:
   * the service started (or runs) without them. Absent when there are none (and from older daemons).
   */
  readonly unmetDependencies?: readonly UnmetDependency[];
}

/** A soft `depends_on` edge whose condition does not hold: the dependency and why (`db exited with code 1 ...`). */
export interface UnmetDependency {
  readonly service: string;
  readonly reason: string;
}

/**
 * Something wrong with a config as a whole, shown by `ps` beside its services: its state.json was
 * corrupt when loaded, or processes of an earlier run are alive that no record names.
 */
export interface ConfigWarning {
  /** Canonical path of the config file. */
  readonly config: string;
  /** One line; says what was done about it and, where the user must act, how. */
  readonly message: string;
}

export interface ConfigSummary {
  readonly path: string;
  readonly hash: string | null;
  readonly services: number;
  readonly running: number;
}

export interface DaemonStatus {
  readonly pid: number;
  readonly version: string;
  readonly protocol: number;
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly stateDir: string;
  readonly configs: readonly ConfigSummary[];
  /**
   * How the daemon contains its services' processes: `cgroups` (a writable cgroup v2 subtree: the root
   * hierarchy, or one delegated to the user a per-user daemon runs as) or `process-groups` (process
   * groups plus the /proc marker sweep). Absent from older daemons.
   */
  readonly containment?: Containment;
}

/** See `DaemonStatus.containment`. */
export type Containment = 'cgroups' | 'process-groups';

/** Options shared by start and restart. */
export interface StartOptions {
  readonly config: ConfigRef;
  /** Services named on the command line; empty = all. */
  readonly services: readonly string[];
  /**
   * `detach`: answer once the start is queued. `wait`: answer once the startup cluster is ready or
   * one of it fails (events report progress). `follow`: stream status and log events until every
   * service is terminal (quiescent) or the client cancels.
   */
  readonly mode: 'detach' | 'wait' | 'follow';
  /** Deadline for `wait` mode, ms. */
  readonly timeoutMs?: number;
}

/** What `kepler up` does to one service (see `UpPlan`). */
export interface ServiceChange {
  readonly service: string;
  /**
   * `unchanged`: left as it is (running ones keep their process). `recreate`: its definition changed;
   * stopped and started again if it runs. `restart`: a `restart: true` dependent of a recreated service.
   * `create`: new in the file. `remove`: gone from the file; stopped, its logs kept until prune.
   */
  readonly action: 'unchanged' | 'recreate' | 'restart' | 'create' | 'remove';
  /** Why, in the config's words (`environment: +DEBUG, ~PORT`, `healthcheck.interval 10s -> 5s`). */
  readonly reasons: readonly string[];
}

/** `kepler up`'s plan: the freshly baked snapshot against the running one. */
export interface UpPlan {
  /** Every service of the new snapshot in its order, then those it removes. */
  readonly services: readonly ServiceChange[];
  /** Changes under `kepler:`, each naming the services it affects. */
  readonly kepler: readonly string[];
}

export interface Requests extends UsageRequests, InspectRequests {
  hello: { type: 'hello'; protocol: number; client: string };
  status: { type: 'status' };
  shutdown: { type: 'shutdown' };
  ps: { type: 'ps'; config?: ConfigRef; all?: boolean };
  start: { type: 'start' } & StartOptions;
  restart: { type: 'restart' } & StartOptions;
  stop: {
    type: 'stop';
    config: ConfigRef;
    services: readonly string[];
    /** Overrides each service's stop_signal. */
    signal?: string;
    /** Also run pre_cleanup and remove the config's state directory. */
    clean?: boolean;
  };
  recreate: { type: 'recreate'; config: ConfigRef };
  /**
   * Bakes the config afresh, applies the difference to the running snapshot (only what changed is
   * stopped and started again), then starts like `start`. `dryRun`: only the plan, nothing changes.
   */
  up: { type: 'up'; dryRun?: boolean } & StartOptions;
  /** Stops every service of the config and forgets its snapshot; `clean` as `stop --clean`. */
  down: { type: 'down'; config: ConfigRef; clean?: boolean };
  logs: {
    type: 'logs';
    config: ConfigRef;
    services: readonly string[];
    head?: number;
    tail?: number;
    noHook?: boolean;
    /** Stream new lines after the initial ones until cancelled. */
    follow?: boolean;
    /**
     * Only stored lines captured at or after this time, ms since the epoch (the CLI turns `--since 10m`
     * into one). `head`/`tail` count within the window; with `follow`, live lines all pass.
     */
    since?: number;
    /** Only stored lines captured at or before this time, ms since the epoch (live lines are not bounded). */
    until?: number;
  };
  prune: { type: 'prune'; force?: boolean; dryRun?: boolean };
  // ---- ad-hoc services (`kepler run`, `kepler rm`) ----
  /**
   * Adds a service to the caller's ad-hoc config (`<state dir>/adhoc/<uid>.yaml`) and applies it like
   * `up` without starting anything: the CLI starts it next with a `start` request on the returned
   * config. Refused with SERVICE_EXISTS when the name is taken.
   */
  adhocAdd: { type: 'adhocAdd'; caller: AdhocCaller; service: AdhocService };
  /** Stops the named ad-hoc services of the caller and removes them from its ad-hoc config. */
  adhocRemove: { type: 'adhocRemove'; caller: AdhocCaller; services: readonly string[] };
}

export type RequestType = keyof Requests;
export type Request = Requests[RequestType];

export interface PruneEntry {
  readonly path: string;
  readonly stateDir: string;
  readonly bytes: number;
  /** Why it is prunable (`stopped`, `orphaned: source missing`) or why it was kept. */
  readonly reason: string;
  readonly removed: boolean;
}

export interface StartResult {
  readonly started: readonly string[];
  readonly alreadyRunning: readonly string[];
  /** Services outside the startup cluster that keep starting in the background (wait mode). */
  readonly deferred: readonly string[];
  /** Set in wait mode when a service failed or the timeout passed. */
  readonly failure?: {
    readonly service: string | null;
    readonly reason: string;
    readonly lastLines: readonly LogLine[];
  };
  readonly services: readonly ServiceInfo[];
  /** A file the snapshot was baked from changed since (`kepler up` applies it). Absent means no. */
  readonly stale?: boolean;
  /**
   * Sent when the snapshot is stale or was baked with other overlays than the request names (which it
   * keeps until `kepler up`); absent otherwise, and from older daemons.
   */
  readonly snapshot?: SnapshotNote;
}

/** The result of `up`: the plan, and (unless a dry run) the start that followed it. */
export interface UpResult extends StartResult {
  readonly plan: UpPlan;
  readonly dryRun: boolean;
}

/** The result type of each request type: `ResultOf['ps']` is what a `ps` request resolves to. */
export interface ResultOf extends UsageResults, InspectResults {
  hello: { protocol: number; version: string; pid: number };
  status: DaemonStatus;
  shutdown: { stoppedConfigs: number };
  ps: {
    services: readonly ServiceInfo[];
    /** `loaded: false`: a config the daemon has not loaded; it stays unloaded (absent means true). */
    loaded?: boolean;
    /** Config-level problems (absent when there are none; older daemons never send it). */
    warnings?: readonly ConfigWarning[];
    /** Configs (paths) listed whose snapshot is stale: a file it was baked from changed since. */
    stale?: readonly string[];
    /**
     * One per config listed whose snapshot is stale, or (`ps` of one config) was baked with other
     * overlays than the request names; absent when none (and from older daemons).
     */
    snapshots?: readonly SnapshotNote[];
  };
  start: StartResult;
  restart: StartResult;
  stop: { stopped: readonly string[]; cleaned: boolean };
  recreate: { hash: string; services: readonly string[] };
  up: UpResult;
  /** `forgotten`: the snapshot was dropped (false when the config had none). */
  down: { stopped: readonly string[]; cleaned: boolean; forgotten: boolean };
  logs: LogsResult;
  prune: { entries: readonly PruneEntry[]; freedBytes: number; dryRun: boolean };
  /** `config`: canonical path of the caller's ad-hoc config; `service`: the name given or chosen. */
  adhocAdd: { config: string; service: string };
  /** `stopped`: those that were running; `removed`: every service named (all were in the config). */
  adhocRemove: { config: string; stopped: readonly string[]; removed: readonly string[] };
}

/** Facts pushed to a streaming request. */
export type StreamEvent =
  | { type: 'logLines'; lines: readonly LogLine[] }
  | {
      type: 'serviceStatusChanged';
      service: string;
      status: ServiceStatus;
      previous: ServiceStatus;
      reason: string | null;
      info: ServiceInfo;
    }
  /** Progress of a start: a service waits on its dependencies (`waitingOn`) or a hook runs. */
  | { type: 'progress'; service: string; message: string }
  | { type: 'ready'; deferred: readonly string[] }
  | { type: 'quiescent' }
  /**
   * Follow mode only, before any status change the operation causes: what the start or restart does.
   * `started`: (re)started now; `alreadyRunning`: left alone (start only). Neither names services a
   * restart skipped because they were not running.
   */
  | {
      type: 'begun';
      started: readonly string[];
      alreadyRunning: readonly string[];
      /** A file the snapshot was baked from changed since (optional: older daemons never send it). */
      stale?: boolean;
      /** As `StartResult.snapshot` (optional: older daemons never send it). */
      snapshot?: SnapshotNote;
    }
  /**
   * `up` only (wait and follow modes), before anything is applied: the plan. Only a client that sent
   * `up` receives it, and an older daemon answers `up` with BAD_REQUEST, so it needs no version bump.
   */
  | { type: 'plan'; plan: UpPlan }
  /** `top --follow` only (see usageMessages.ts). */
  | UsageEvent;

/** Stable error codes carried on the wire. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'PROTOCOL_MISMATCH',
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'CONFIG_NOT_LOADED',
  'UNKNOWN_SERVICE',
  'SERVICES_RUNNING',
  'START_FAILED',
  'TIMEOUT',
  'SHUTTING_DOWN',
  'INTERNAL',
  /** The daemon refused more work from this connection (its buffers for client bytes are full). */
  'OVERLOADED',
  /** `kepler run --name N` when the caller's ad-hoc config already has a service N. */
  'SERVICE_EXISTS',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  /** CONFIG_INVALID carries `{issues: ConfigIssue[]}`; others may carry details. */
  readonly data?: unknown;
}

/** Envelopes on the wire. */
export type ClientFrame =
  | { kind: 'request'; id: number; request: Request }
  /** Ends a streaming request; the daemon answers the request's response, then sends nothing more for it. */
  | { kind: 'cancel'; id: number };

/**
 * The id of a response that is about the connection itself, not a request (clients number requests
 * from 1): `{kind: 'response', id: 0, ok: false, error}` is the daemon's last frame before it closes
 * the connection on its own (OVERLOADED, TIMEOUT for a stalled frame). A client that does not know it
 * ignores it as an answer to nothing, so it needs no protocol bump.
 */
export const CONNECTION_ERROR_ID = 0;

export type DaemonFrame =
  | { kind: 'response'; id: number; ok: true; result: ResultOf[RequestType] }
  | { kind: 'response'; id: number; ok: false; error: WireError }
  | { kind: 'event'; id: number; event: StreamEvent };
