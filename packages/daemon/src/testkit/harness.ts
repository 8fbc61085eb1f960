/**
 * The in-process test tier: a ConfigActor on a FakePlatform, in a temp directory, without root, in
 * milliseconds. Tests use only the actor's public API (start, stop, restart, recover, ps, subscribe,
 * close, readLogs) and the fake's, so they hold across refactors of the supervisor's internals.
 *
 *   const h = await startHarness(config().service('api', { command: ['api'] }));
 *   await h.actor.start(['api']);
 *   const info = await h.waitForStatus('api', 'running');
 *   await h.close();
 *
 * Run the tier alone (from the repo root; no pnpm needed):
 *   NODE_OPTIONS=--no-warnings node --experimental-vm-modules node_modules/jest/bin/jest.js packages/daemon/src/testkit
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BakedConfig } from '@kepler/config';
import type { ServiceInfo, ServiceStatus, StreamEvent } from '@kepler/protocol';
import { ConfigActor } from '../config/ConfigActor.js';
import { ConfigDirectory } from '../config/ConfigDirectory.js';
import type { ConfigBuilder } from './configBuilder.js';
import { FakePlatform } from './FakePlatform.js';

/** Real-time limit of one wait: generous for a loaded machine, below jest's 5 s test timeout. */
export const WAIT_MS = 4_000;
/** Pause between two looks of a polling wait. */
const POLL_MS = 5;

/** A `serviceStatusChanged` event. */
export type StatusEvent = Extract<StreamEvent, { type: 'serviceStatusChanged' }>;

/** One service's entry of state.json, as the daemon writes it (snake_case; see serviceState.ts). */
export interface PersistedEntry {
  status: ServiceStatus;
  pid?: number | null;
  start_time?: string | null;
  exit_code?: number | null;
  signal?: string | null;
  restarts?: number;
  health_failures?: number;
  health?: 'starting' | 'healthy' | 'unhealthy' | null;
  started_at?: string | null;
  stopped_at?: string | null;
  reason?: string | null;
  init_done?: boolean;
  desired?: 'run' | 'stop';
  was_healthy?: boolean;
  spawns?: number;
  consecutive_crashes?: number;
  restart_delay_ms?: number | null;
  restart_at?: string | null;
}

/** A `spawned/<service>` record, as the daemon writes it (see SpawnJournal.ts). */
export interface SpawnedRecord {
  spawn: number;
  pid: number;
  start_time: string;
  started_at: string;
  stopped_at?: string;
  stopping_at?: string;
}

/** What a state.json holds. */
export interface PersistedState {
  services: Record<string, PersistedEntry>;
  global_init_done?: boolean;
}

export interface HarnessOptions {
  /**
   * state.json to leave in the config's state directory before the actor loads (recovery tests). A
   * function gets the harness first: launch the processes it names there (`outputsOf`, `markerOf`).
   */
  state?: PersistedState | ((h: Harness) => PersistedState);
  /** spawned/ records to leave there too (a function is called after `state`'s). */
  spawned?: Record<string, SpawnedRecord> | ((h: Harness) => Record<string, SpawnedRecord>);
  /**
   * The platform (default: a fresh FakePlatform). A test scripts it, or launches the processes its
   * state.json names (`launchOutside`), before the actor exists.
   */
  platform?: FakePlatform;
}

/** A full state.json entry: `status` and `patch` over what a fresh service has. */
export function persistedEntry(status: ServiceStatus, patch: Partial<PersistedEntry> = {}): PersistedEntry {
  return {
    status,
    pid: null,
    start_time: null,
    exit_code: null,
    signal: null,
    restarts: 0,
    health_failures: 0,
    health: null,
    started_at: null,
    stopped_at: null,
    reason: null,
    init_done: true,
    was_healthy: false,
    spawns: 0,
    ...patch,
  };
}

/** Polls `probe` until it gives something other than null/undefined/false; rejects after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | null | undefined | false,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** One config's actor on a fake platform, with its events collected. */
export class Harness {
  /** Every event of every daemon life, in order. */
  readonly events: StreamEvent[] = [];
  /** Lines the actor logged (daemon.log in real use). */
  readonly logLines: string[] = [];
  actor!: ConfigActor;
  private unsubscribe: () => void = () => undefined;

  constructor(
    readonly root: string,
    readonly projectDir: string,
    readonly stateDir: string,
    readonly baked: BakedConfig,
    public platform: FakePlatform,
  ) {}

  /** The `KEPLER_SERVICE_ID=<config id>.<service>` marker of a service's processes. */
  markerOf(service: string): string {
    return `KEPLER_SERVICE_ID=${this.stateDir.split('/').pop()!.slice(0, 16)}.${service}`;
  }

  /** The output files a service's processes write to (for FakePlatform.launchOutside). */
  outputsOf(service: string): { stdout: string; stderr: string } {
    const dir = new ConfigDirectory(this.stateDir).outputDir;
    return { stdout: join(dir, `${service}.stdout`), stderr: join(dir, `${service}.stderr`) };
  }

  /** Builds the actor on the current platform, subscribes and recovers (as the registry does). */
  load(): void {
    this.actor = new ConfigActor(
      this.baked,
      this.stateDir,
      (line) => this.logLines.push(line),
      this.platform,
    );
    this.unsubscribe = this.actor.subscribe((e) => this.events.push(e));
    this.actor.recover();
    this.actor.untracked.relaunchLeftovers(this.actor, (line) => this.logLines.push(line));
  }

  /**
   * A daemon restart: the actor is closed (state flushed, processes left running), `whileDown` runs
   * (kill a process, edit state.json), and a new actor on the next life of the same fake system loads
   * the state directory and recovers. Returns the event index the new life starts at.
   */
  async restartDaemon(opts: { whileDown?: () => void | Promise<void> } = {}): Promise<number> {
    this.unsubscribe();
    this.actor.close();
    this.platform = this.platform.nextDaemon();
    await opts.whileDown?.();
    const mark = this.events.length;
    this.load();
    return mark;
  }

  /** Polls `probe` until it gives something (see the module's waitFor). */
  waitFor<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = WAIT_MS): Promise<T> {
    return waitFor(probe, what, timeoutMs);
  }

  /** The index of the next event: pass it as `after` to wait for what follows. */
  mark(): number {
    return this.events.length;
  }

  /** Status events (of `service`, from index `after`). */
  statusEvents(service?: string, after = 0): StatusEvent[] {
    return this.events
      .slice(after)
      .filter(
        (e): e is StatusEvent => e.type === 'serviceStatusChanged' && (!service || e.service === service),
      );
  }

  /** The statuses `service` went through (from index `after`). */
  statusTrail(service: string, after = 0): ServiceStatus[] {
    return this.statusEvents(service, after).map((e) => e.status);
  }

  /** Every service's current status, from `ps`. */
  statuses(): Record<string, ServiceStatus> {
    return Object.fromEntries(this.actor.ps().map((s) => [s.name, s.status]));
  }

  /** One service's `ps` entry. */
  info(service: string): ServiceInfo {
    const found = this.actor.ps().find((s) => s.name === service);
    if (!found) throw new Error(`no service ${service}`);
    return found;
  }

  /**
   * Waits until `service` is in `status`: with `after`, until an event at or after that index says
   * so (a status reached again counts); without, until `ps` shows it. Returns its `ps` entry.
   */
  async waitForStatus(
    service: string,
    status: ServiceStatus,
    opts: { after?: number; timeoutMs?: number } = {},
  ): Promise<ServiceInfo> {
    const { after } = opts;
    await waitFor(
      () =>
        after === undefined
          ? this.info(service).status === status
          : this.statusEvents(service, after).some((e) => e.status === status),
      `${service} to be ${status}${after === undefined ? '' : ` (after event ${after})`}; statuses: ${this.statusTrail(service, after ?? 0).join(' -> ')}`,
      opts.timeoutMs,
    );
    return this.info(service);
  }

  /** Waits for an event (at or after index `after`) that `test` accepts. */
  waitForEvent(
    test: (e: StreamEvent) => boolean,
    what: string,
    opts: { after?: number; timeoutMs?: number } = {},
  ): Promise<StreamEvent> {
    return waitFor(() => this.events.slice(opts.after ?? 0).find(test), what, opts.timeoutMs);
  }

  /**
   * Checks `holds` over `ms` of real time (a negative check needs a window): throws at the first
   * look where it does not hold.
   */
  async holds(holds: () => boolean, what: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    await waitFor(
      () => {
        if (!holds()) throw new Error(`no longer true: ${what}`);
        return Date.now() > until;
      },
      what,
      ms + WAIT_MS,
    );
  }

  /** A service's stored log lines (its hooks' too, as `<hook>: line`), as text. */
  storedLines(service: string): string[] {
    return this.actor
      .readLogs({ services: [service] })
      .map((l) => `${l.hook ? `${l.hook}: ` : ''}${Buffer.from(l.line).toString('utf8')}`);
  }

  /** Ends the test: closes the actor, kills every fake process, removes the temp directory. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.actor.close();
    this.platform.shutdown();
    // A paced state.json write still in flight would create its temp file under the tree being removed.
    await this.actor.settled();
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Bakes the config into `<tmp>/project/kepler.yaml`, leaves any state the options give in
 * `<tmp>/state/<id>/`, builds the actor on a FakePlatform and recovers, as a daemon loading the
 * config does. Close it with `close()`.
 */
export async function startHarness(builder: ConfigBuilder, opts: HarnessOptions = {}): Promise<Harness> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'kepler-testkit-')));
  const projectDir = join(root, 'project');
  const stateDir = join(root, 'state', randomBytes(16).toString('hex'));
  mkdirSync(stateDir, { recursive: true });
  let baked: BakedConfig;
  try {
    baked = await builder.build(projectDir);
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const h = new Harness(root, projectDir, stateDir, baked, opts.platform ?? new FakePlatform());
  const given = typeof opts.state === 'function' ? opts.state(h) : opts.state;
  if (given) {
    const state = { version: 1, global_init_done: given.global_init_done ?? true, services: given.services };
    writeFileSync(join(stateDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  }
  const records = typeof opts.spawned === 'function' ? opts.spawned(h) : opts.spawned;
  if (records) {
    mkdirSync(join(stateDir, 'spawned'), { recursive: true });
    for (const [service, record] of Object.entries(records))
      writeFileSync(join(stateDir, 'spawned', service), `${JSON.stringify(record)}\n`);
  }
  h.load();
  return h;
}
