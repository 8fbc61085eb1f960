import { isActive } from '@kepler/protocol';
import type { Platform, ServiceProcess } from '../platform/index.js';
import type { ServiceRuntime } from '../service/ServiceRuntime.js';

/** What relaunchLeftovers needs of the config's actor: its queued stop and start. */
export interface LeftoverActor {
  stop(names: readonly string[]): Promise<unknown>;
  start(names: readonly string[]): Promise<unknown>;
}

/** The most pids a message names (the rest are counted). */
const MAX_NAMED_PIDS = 8;

/**
 * Live processes of a config's services that no record names: what survives when state.json is
 * corrupt or gone and spawned/ was lost while a service ran. They are looked for once, when the
 * config is loaded, and only for services whose recorded state could not be trusted and that have
 * no process adopted; with cgroups that is one small read per service, without one /proc pass for
 * the whole config.
 *
 * Such processes are refused, not adopted: without a recorded pid and start time nothing says which
 * of them is the service's main process (a cgroup lists the main process and every descendant alike,
 * and a descendant that called setsid looks like a main process), and adopting a descendant would
 * make Kepler supervise, restart around and report the wrong process. A start of the service fails
 * naming the pids until they are gone; `kepler stop` ends them.
 */
export class UntrackedProcesses {
  private readonly byService = new Map<string, ServiceProcess[]>();
  /** Services a launch or a stop was under way for when the last daemon died (see underWayAtCrash). */
  private readonly underWay = new Map<string, 'relaunch' | 'stop'>();
  /** Of those, the ones with live processes, kept from launching until ConfigActor has ended them. */
  private leftovers: string[] = [];
  /** Of the leftovers, the ones to launch again once ended. */
  private again: string[] = [];

  /** `configPath` is named in the messages (the `kepler stop -f` to run). */
  constructor(
    private readonly configPath: string,
    private readonly platform: Platform,
  ) {}

  /**
   * Looks for live processes of the `suspects` (services whose record could not be trusted) that have
   * no process adopted. Returns one line per service found, for daemon.log.
   */
  detect(suspects: ReadonlySet<string>, services: ReadonlyMap<string, ServiceRuntime>): string[] {
    const markers = new Map<string, string>();
    for (const name of new Set([...suspects, ...this.underWay.keys()])) {
      const rt = services.get(name);
      if (rt && !(isActive(rt.state.status) && rt.state.pid !== null)) markers.set(name, rt.marker);
    }
    if (markers.size === 0) return [];
    const found = this.platform.findServiceProcesses([...markers.values()]);
    for (const [service, marker] of markers) {
      const procs = found.get(marker) ?? [];
      if (procs.length > 0) this.byService.set(service, procs);
    }
    // A launch now would run the service twice: it waits for ConfigActor to end these first.
    this.leftovers = [...this.underWay.keys()].filter((name) => this.byService.has(name));
    this.again = this.leftovers.filter((name) => this.underWay.get(name) === 'relaunch');
    for (const name of this.leftovers) services.get(name)?.withdrawWish();
    this.underWay.clear();
    // Leftovers are ended by the daemon itself (relaunchLeftovers): no advice to stop them by hand.
    const lines: string[] = [];
    for (const service of this.byService.keys()) {
      const procs = this.live(service);
      if (procs.length === 0) continue;
      const line = this.leftovers.includes(service)
        ? `${service}: ${countOf(procs)} (pid ${pidNames(procs)}) left by a ${this.again.includes(service) ? 'start' : 'stop'} the last daemon did not finish: ending ${procs.length === 1 ? 'it' : 'them'}${this.again.includes(service) ? ', then starting the service again' : ''}`
        : this.refusal(service);
      if (line !== null) lines.push(`${this.configPath}: ${line}`);
    }
    return lines;
  }

  /**
   * The last daemon died with a launch or a stop of `rt` under way (RecoveryPlan.underWay): a process
   * spawned before its spawned/ record was written, or what a stop had not swept yet, is named nowhere.
   * detect() looks for them like for a suspect; those found are ended, not refused (see
   * relaunchLeftovers). Called before the service's recovery steps. A `type: forking` launch is left
   * alone: its next spawn takes over the daemon such a start left (SupervisedProcess.spawn).
   */
  underWayAtCrash(rt: ServiceRuntime, kind: 'relaunch' | 'stop'): void {
    if (kind === 'stop' || rt.spec.type !== 'forking') this.underWay.set(rt.name, kind);
  }

  /**
   * Once, after the config's recovery (ConfigRegistry): the services underWayAtCrash found alive are
   * stopped through `actor`'s queue (which ends these processes), then the relaunched ones started.
   * A failure goes to `log`.
   */
  relaunchLeftovers(actor: LeftoverActor, log: (line: string) => void): void {
    const [names, again] = [this.leftovers, this.again];
    [this.leftovers, this.again] = [[], []];
    if (names.length === 0) return;
    void actor
      .stop(names)
      .then(() => (again.length > 0 ? actor.start(again) : undefined))
      .catch((e: unknown) => log(`${this.configPath}: ${(e as Error).message}`));
  }

  /** True when the service has untracked processes still alive. */
  has(service: string): boolean {
    return this.live(service).length > 0;
  }

  /**
   * Why the service must not be started: one line naming its live untracked processes and how to end
   * them, or null when it has none.
   */
  refusal(service: string): string | null {
    const procs = this.live(service);
    if (procs.length === 0) return null;
    return (
      `${service}: ${countOf(procs)} of an earlier run still alive but not supervised (pid ${pidNames(procs)}; ` +
      `its record in state.json or spawned/ was lost): stop them with ` +
      `\`kepler stop -f ${this.configPath} ${service}\`, then start again`
    );
  }

  /** refusal() of every service that has untracked processes alive. */
  refusals(): string[] {
    const out: string[] = [];
    for (const service of [...this.byService.keys()]) {
      const r = this.refusal(service);
      if (r !== null) out.push(r);
    }
    return out;
  }

  /**
   * Ends the service's untracked processes the way a stop ends a service (its stop signal or
   * `signal`, the grace period, SIGKILL; the cgroup or the marker sweep finds the rest) and forgets them.
   */
  async stop(rt: ServiceRuntime, signal?: string): Promise<void> {
    const procs = this.live(rt.name);
    const opts = {
      marker: rt.marker,
      signal: (signal ?? rt.spec.stopSignal) as NodeJS.Signals,
      graceMs: rt.spec.stopGracePeriodMs,
    };
    // Each process group is signalled once; stopProcessTree finds the members of other groups too.
    for (const p of procs) {
      if (this.platform.isSameProcess(p.pid, p.startTime))
        await this.platform.stopProcessTree({ pid: p.pid, pgid: p.pgid, ...opts });
    }
    this.byService.delete(rt.name);
  }

  /** The service's untracked processes that are still alive (pid and start time: cheap checks). */
  private live(service: string): readonly ServiceProcess[] {
    const procs = this.byService.get(service);
    if (procs === undefined) return [];
    const left = procs.filter((p) => this.platform.isSameProcess(p.pid, p.startTime));
    if (left.length === 0) this.byService.delete(service);
    else if (left.length < procs.length) this.byService.set(service, left);
    return left;
  }
}

/** `41 api, 42 sleep`, naming at most MAX_NAMED_PIDS (`... and 3 more`). */
function pidNames(procs: readonly ServiceProcess[]): string {
  const named = procs
    .slice(0, MAX_NAMED_PIDS)
    .map((p) => `${p.pid} ${p.name}`)
    .join(', ');
  return procs.length > MAX_NAMED_PIDS ? `${named} and ${procs.length - MAX_NAMED_PIDS} more` : named;
}

function countOf(procs: readonly unknown[]): string {
  return procs.length === 1 ? '1 process' : `${procs.length} processes`;
}
