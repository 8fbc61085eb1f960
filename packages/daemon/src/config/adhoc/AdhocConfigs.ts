import { chmodSync, mkdirSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { SERVICE_NAME_PATTERN } from '@kepler/config/grammar';
import {
  type AdhocCaller,
  type AdhocService,
  adhocConfigPath,
  type ConfigRef,
  type ResultOf,
} from '@kepler/protocol';
import { DaemonError } from '../../errors.js';
import { resolveUser } from '../../platform/index.js';
import { OpQueue } from '../../service/OpQueue.js';
import type { ConfigRegistry } from '../ConfigRegistry.js';
import { writeFileAtomic } from '../state/atomicWrite.js';
import {
  type AdhocDefinition,
  adhocDefinition,
  defaultName,
  parseAdhocFile,
  renderAdhocFile,
} from './adhocFile.js';

/** The ad-hoc directory and its files: root-only (they hold each service's whole environment). */
const ADHOC_DIR_MODE = 0o700;
const ADHOC_FILE_MODE = 0o600;

/**
 * The ad-hoc configs (`kepler run`), one per caller uid, each a real config file the registry loads
 * like any other: ps, logs, stop, restart and recovery after a crash need nothing of their own. Edits
 * of one uid's file are queued (two `run`s at once must not lose one) and applied like `kepler up`
 * without starting anything: services the edit does not touch keep their process.
 */
export class AdhocConfigs {
  private readonly queues = new Map<number, OpQueue>();

  constructor(
    private readonly registry: ConfigRegistry,
    private readonly stateDir: string,
  ) {}

  /** Adds `service` to the caller's ad-hoc config; the caller starts it with a `start` request. */
  add(caller: AdhocCaller, service: AdhocService): Promise<ResultOf['adhocAdd']> {
    const who = this.callerOf(caller);
    const user = userFor(who, service.user);
    return this.queueOf(who.uid).run(async () => {
      const ref = this.ref(who.uid);
      const services = readServices(ref.path);
      const name = service.name ?? defaultName(service.command, (n) => services.has(n));
      if (!SERVICE_NAME_PATTERN.test(name))
        throw new DaemonError(
          'BAD_REQUEST',
          `--name: "${name}" is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)`,
        );
      if (services.has(name)) throw this.clash(ref, name);
      const before = services.size > 0 ? renderAdhocFile(services) : null;
      services.set(name, adhocDefinition(service, user));
      await this.apply(ref, services, before);
      return { config: ref.path, service: name };
    });
  }

  /** Stops the named services and removes them from the caller's ad-hoc config (its file when empty). */
  remove(caller: AdhocCaller, names: readonly string[]): Promise<ResultOf['adhocRemove']> {
    const who = this.callerOf(caller);
    return this.queueOf(who.uid).run(async () => {
      const ref = this.ref(who.uid);
      const services = readServices(ref.path);
      const unknown = names.filter((n) => !services.has(n));
      if (unknown.length > 0) {
        const yours = services.size > 0 ? `yours: ${[...services.keys()].join(', ')}` : 'you have none';
        throw new DaemonError('UNKNOWN_SERVICE', `no ad-hoc service named ${unknown.join(', ')} (${yours})`);
      }
      const actor = await this.registry.get(ref);
      const { stopped } = await actor.stop(names);
      const before = renderAdhocFile(services);
      for (const n of names) services.delete(n);
      if (services.size === 0) {
        this.registry.forget(actor);
        await actor.remove();
        unlinkSync(ref.path);
      } else {
        await this.apply(ref, services, before);
      }
      return { config: ref.path, stopped, removed: [...names] };
    });
  }

  /** Writes the file, bakes it and applies it; a bake that fails puts the file back as it was. */
  private async apply(ref: ConfigRef, services: Map<string, AdhocDefinition>, before: string | null) {
    writeFileAtomic(ref.path, renderAdhocFile(services), ADHOC_FILE_MODE);
    try {
      const { actor, next } = await this.registry.getWithFreshBake(ref);
      await actor.up(next, [], { noStart: true });
    } catch (e) {
      if (before === null) unlinkSync(ref.path);
      else writeFileAtomic(ref.path, before, ADHOC_FILE_MODE);
      throw e;
    }
  }

  private clash(ref: ConfigRef, name: string): DaemonError {
    const row = this.registry
      .find(ref.path)
      ?.ps()
      .find((s) => s.name === name);
    const status = row?.status ?? 'stopped';
    const what = row?.pid ? `${status}, pid ${row.pid}` : status;
    const start = row?.pid ? '' : `start it with: kepler start ${name}; `;
    return new DaemonError(
      'SERVICE_EXISTS',
      `an ad-hoc service named ${name} already exists (${what}): ${start}choose another --name, or remove it with: kepler rm ${name}`,
    );
  }

  /** A daemon that is not root serves its own user alone: the claim is replaced by its own ids. */
  private callerOf(caller: AdhocCaller): AdhocCaller {
    const own = process.getuid?.() ?? 0;
    return own === 0 ? caller : { uid: own, gid: process.getgid?.() ?? caller.gid };
  }

  private queueOf(uid: number): OpQueue {
    let q = this.queues.get(uid);
    if (!q) {
      q = new OpQueue();
      this.queues.set(uid, q);
    }
    return q;
  }

  /** The caller's ad-hoc config, its directory made if missing. The bake needs no environment. */
  private ref(uid: number): ConfigRef {
    const path = adhocConfigPath(realpathSync(this.stateDir), uid);
    mkdirSync(dirname(path), { recursive: true, mode: ADHOC_DIR_MODE });
    chmodSync(dirname(path), ADHOC_DIR_MODE);
    return { path, env: {} };
  }
}

function readServices(path: string): Map<string, AdhocDefinition> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Map();
  }
  try {
    return parseAdhocFile(text);
  } catch (e) {
    throw new DaemonError('INTERNAL', `cannot read the ad-hoc config ${path}: ${(e as Error).message}`);
  }
}

/**
 * Who the service runs as: `--user` when given (root may name anyone; others only themselves), else
 * the caller; null when that is the daemon's own user (nothing to switch).
 */
function userFor(caller: AdhocCaller, wanted: string | undefined): string | null {
  const own = process.getuid?.() ?? 0;
  if (wanted !== undefined) {
    let uid: number;
    try {
      uid = resolveUser(wanted, null).uid;
    } catch (e) {
      const message = (e as Error).message;
      // A per-user daemon's refusal names the config key (`user: root: ...`): here it is the flag.
      const key = `user: ${wanted}: `;
      const text = message.startsWith(key)
        ? `--user ${wanted}: ${message.slice(key.length)}`
        : `--user: ${message}`;
      throw new DaemonError('BAD_REQUEST', text);
    }
    if (caller.uid !== 0 && uid !== caller.uid)
      throw new DaemonError(
        'BAD_REQUEST',
        `--user ${wanted}: only root may run a service as another user (you are uid ${caller.uid})`,
      );
    return uid === own ? null : wanted;
  }
  if (caller.uid === own) return null;
  try {
    resolveUser(String(caller.uid), null);
    return String(caller.uid);
  } catch {
    return `${caller.uid}:${caller.gid}`; // no passwd entry: its ids alone
  }
}
