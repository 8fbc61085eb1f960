import { chmodSync, chownSync, constants as fsConstants, openSync, writeSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { ByteBudget, daemonLocation, ProtocolError } from '@kepler/protocol';
import { ConfigRegistry } from '../config/ConfigRegistry.js';
import { writeFileAtomic } from '../config/state/atomicWrite.js';
import {
  DaemonDir,
  keplerGid,
  SOCKET_MODE_GROUP,
  SOCKET_MODE_PERSONAL,
  SOCKET_MODE_ROOT_ONLY,
} from '../DaemonDir.js';
import { StartupError } from '../errors.js';
import { stopRunningHooks } from '../hooks/HookRunner.js';
import { type HttpOptions, type RunningHttpApi, startHttpApi } from '../http/index.js';
import { cgroupsAvailable, notifySystemd } from '../platform/index.js';
import { DEFAULT_PROXY_ADDR, PROXY_ADDR_ENV, ProxyHost, parseProxyAddress } from '../proxy/index.js';
import { DAEMON_VERSION } from '../version.js';
import { Connection } from './Connection.js';
import {
  frameStallMsFromEnv,
  MAX_BUFFERED_CLIENT_BYTES,
  MAX_CLIENT_CONNECTIONS,
  throttledLog,
} from './clientLimits.js';
import { createHandlers } from './handlers/index.js';
import { IdleCollector } from './IdleCollector.js';

/** How long an exiting daemon waits for clients to take their last frames. */
const EXIT_FLUSH_GRACE_MS = 1000;
/** How long a client gets to say hello before its connection is dropped. */
export const HELLO_TIMEOUT_MS = 10_000;

export interface DaemonOptions {
  logFile: string | null;
  /** Defaults to the rule's choice (`daemonLocation`): $KEPLER_DAEMON_PATH, /var/lib/kepler or the user's own. */
  stateDir?: string;
  /** Serve the HTTP API and dashboard there (`--http`); null or absent: no HTTP at all. */
  http?: HttpOptions | null;
  /** The reverse proxy's address (`--proxy`); defaults to $KEPLER_PROXY_ADDR or 127.0.0.1:7380. */
  proxy?: string;
}

/** Runs the daemon until it is told to stop; resolves with the process exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  // The log file lives in the state directory, which may not exist yet and must not be followed
  // through a symlink: it is opened on the first line logged after `acquire` checked and created it.
  let logFd: number | null = opts.logFile ? null : 2;
  const log = (line: string) => {
    try {
      // O_NOFOLLOW: members of the kepler group can write in the state directory; a daemon.log symlink
      // they planted must not make root append to another file.
      const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fsConstants;
      logFd ??= openSync(opts.logFile as string, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o640);
      writeSync(logFd, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // Nowhere left to report to.
    }
  };
  // The same rule as the CLI's: a user who is not root and not in the kepler group (and has not set
  // KEPLER_DAEMON_PATH) gets a daemon of their own; anyone else's daemon must be root.
  const location = daemonLocation(process.env);
  const personal = process.getuid?.() !== 0;
  if (personal && location.kind !== 'user') {
    process.stderr.write('kepler daemon must run as root (try: sudo kepler daemon start -d)\n');
    return 1;
  }
  process.umask(personal ? 0o077 : 0o007);
  const proxyAddress = parseProxyAddress(opts.proxy ?? process.env[PROXY_ADDR_ENV] ?? DEFAULT_PROXY_ADDR);
  if (typeof proxyAddress === 'string') {
    const source = opts.proxy !== undefined ? '--proxy' : PROXY_ADDR_ENV;
    process.stderr.write(`kepler daemon: ${source}: ${proxyAddress}\n`);
    return 1;
  }
  const dirs = new DaemonDir(opts.stateDir ?? location.stateDir);
  let server: Server;
  try {
    server = await acquire(dirs, log, personal);
  } catch (e) {
    const msg = e instanceof StartupError ? e.message : `cannot start: ${(e as Error).message}`;
    // stderr only: the log file is not opened in a state directory that was refused.
    process.stderr.write(`kepler daemon: ${msg}\n`);
    return 1;
  }

  const startedAt = new Date();
  const registry = new ConfigRegistry(dirs, log);
  // Listens only while a loaded config declares a hostname (it follows the book's changes).
  const proxy = new ProxyHost(registry.book, proxyAddress, log, Worker);
  let shuttingDown: Promise<number> | null = null;
  let servicesStopped!: () => void;
  const closing = new Promise<void>((resolve) => {
    servicesStopped = resolve;
  });
  const connections = new Set<Connection>();
  const collector = new IdleCollector();
  const clientBytes = new ByteBudget(MAX_BUFFERED_CLIENT_BYTES);
  const logLimit = throttledLog(log);
  const frameStall = frameStallMsFromEnv(process.env);
  if (frameStall.warning) log(frameStall.warning);
  const shutdown = (): Promise<number> => {
    shuttingDown ??= (async () => {
      log('stopping every service');
      void notifySystemd('STOPPING=1');
      await registry.stopEverything();
      await stopRunningHooks();
      servicesStopped();
      return registry.list().length;
    })();
    return shuttingDown;
  };
  const handlers = createHandlers(registry, {
    version: DAEMON_VERSION,
    startedAt,
    stateDir: dirs.root,
    containment: () => (cgroupsAvailable() ? 'cgroups' : 'process-groups'),
    closing,
    log,
    shutdown: async () => {
      const n = await shutdown();
      // Answer first, then leave: the CLI waits for the socket to go away.
      setImmediate(() => void exit(0));
      return n;
    },
  });
  // Clients are served once every config is restored: a snapshot an earlier Kepler wrote as YAML is
  // parsed by a bake worker, and a `ps` sent meanwhile must still see every config.
  let restored!: () => void;
  const restoring = new Promise<void>((resolve) => {
    restored = resolve;
  });
  server.on('connection', (socket: Socket) => void restoring.then(() => accept(socket)));
  let http: RunningHttpApi | null = null;
  if (opts.http) {
    try {
      http = await startHttpApi({
        stateDir: dirs.root,
        // A personal daemon's files are its user's alone (0600), like its socket.
        gid: personal ? null : keplerGid(),
        options: opts.http,
        access: { handlers, isShuttingDown: () => shuttingDown !== null, log },
        registry,
        logLimit,
        ready: restoring,
      });
    } catch (e) {
      process.stderr.write(`kepler daemon: ${(e as Error).message}\n`);
      server.close();
      dirs.removeStale();
      return 1;
    }
    if (opts.http.public) {
      const warning = `warning: the HTTP API listens on ${http.url}, which is not a loopback address: anyone who reaches it can try the token`;
      log(warning);
    }
  }
  const accept = (socket: Socket) => {
    const conn = new Connection(socket, handlers, {
      log,
      logLimit,
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      budget: clientBytes,
      frameStallMs: frameStall.ms,
      isShuttingDown: () => shuttingDown !== null,
      onRequestDone: () => collector.activity(),
    });
    if (connections.size >= MAX_CLIENT_CONNECTIONS) {
      const message = `the daemon already has ${MAX_CLIENT_CONNECTIONS} client connections open: try again`;
      logLimit(`refusing a client connection: ${message}`);
      conn.refuse(new ProtocolError('OVERLOADED', message));
      return;
    }
    connections.add(conn);
    socket.on('close', () => {
      connections.delete(conn);
      // What the connection held (a partial frame, its socket's buffers) is garbage now: collect it
      // once things are quiet, or RSS stays high until V8 gets round to it by itself.
      collector.activity();
    });
  };

  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    // Whatever fails on the way out (a full disk), the daemon exits: nothing else would end it.
    try {
      collector.stop();
      registry.closeAll();
      server.close();
      http?.close();
      await proxy.close();
      // Final responses (a follow's end) reach their clients; one that does not read gets a second.
      await Promise.all([...connections].map((c) => c.closeFlushed(EXIT_FLUSH_GRACE_MS)));
      dirs.removeStale();
    } catch (e) {
      log(`error while exiting: ${(e as Error).stack ?? String(e)}`);
    } finally {
      log(`daemon stopped (exit ${code})`);
      process.exit(code);
    }
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      log(`${sig} received: stopping services gracefully`);
      // After the handlers that wait for the services to stop have answered (as `daemon stop` does).
      void shutdown().then(() => setImmediate(() => void exit(0)));
    });
  }
  process.on('SIGHUP', () => log('SIGHUP ignored'));
  process.on('SIGPIPE', () => undefined);
  process.on('uncaughtException', (err) => log(`internal error (continuing): ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) =>
    log(`internal error (continuing): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );

  await registry.restoreAll();
  restored();
  log(`kepler daemon ${DAEMON_VERSION} listening on ${dirs.socket} (pid ${process.pid})`);
  if (http) log(`HTTP API and dashboard on ${http.url}`);
  notifySystemd('READY=1');
  await new Promise<never>(() => undefined);
  return 0;
}

/**
 * Claims the state directory: refuses when another daemon runs there, replaces a stale socket and
 * pid file left by a crash, then listens with the socket's modes and writes the pid file.
 */
async function acquire(dirs: DaemonDir, log: (l: string) => void, personal: boolean): Promise<Server> {
  // A per-user daemon's directory and socket are its user's alone: no group, nothing to chown.
  const gid = personal ? null : keplerGid();
  dirs.prepare(gid, personal);
  const release = dirs.lockStart();
  try {
    return await claim(dirs, log, gid, personal);
  } finally {
    release();
  }
}

/** Checks that no daemon runs here, then listens and writes the pid file (under the start lock). */
async function claim(
  dirs: DaemonDir,
  log: (l: string) => void,
  gid: number | null,
  personal: boolean,
): Promise<Server> {
  const other = dirs.livePid();
  if (other !== null || (await answers(dirs.socket))) {
    throw new StartupError(
      `another Kepler daemon${other ? ` (pid ${other})` : ''} is already running on ${dirs.root}`,
    );
  }
  dirs.removeStale();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(dirs.socket, () => resolve());
  });
  if (personal) {
    chmodSync(dirs.socket, SOCKET_MODE_PERSONAL);
  } else if (gid === null) {
    chmodSync(dirs.socket, SOCKET_MODE_ROOT_ONLY);
    log(
      'the `kepler` group does not exist: the socket is root-only. Create it with `sudo groupadd kepler` and add users with `sudo usermod -aG kepler USER`',
    );
  } else {
    chownSync(dirs.socket, 0, gid);
    chmodSync(dirs.socket, SOCKET_MODE_GROUP);
  }
  writeFileAtomic(dirs.pidFile, `${process.pid}\n`, personal ? 0o600 : 0o640);
  if (gid !== null) chownSync(dirs.pidFile, 0, gid);
  return server;
}

/** Whether something accepts connections on the socket path (a live daemon). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
