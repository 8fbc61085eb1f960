import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { writeFileAtomic } from '../config/state/atomicWrite.js';
import { StartupError } from '../errors.js';
import { wsBufferBytesFromEnv } from './BoundedWebSocket.js';
import { ApiCredentials, fileModeFor, readableAsSocket } from './credentials.js';
import { HttpApi } from './HttpApi.js';
import type { HttpOptions } from './httpOptions.js';
import type { HandlerAccess } from './invoke.js';

/** The bearer token's file in the state directory. */
export const TOKEN_FILE = 'http.token';
/** Where the daemon says its API listens (`{url, pid}`), for `kepler dashboard`. */
export const HTTP_INFO_FILE = 'http.json';

/** A listening API and how to take it down. */
export interface RunningHttpApi {
  readonly api: HttpApi;
  readonly url: string;
  /** Stops serving and removes http.json (the token stays: scripts keep using it). */
  close(): void;
}

/**
 * Serves the HTTP API as `options` asks: loads (or writes) the token, listens, and writes http.json,
 * both as readable as the socket (root:kepler 0640; 0600 without the group or for a personal daemon). A port that cannot be
 * bound fails the daemon's start-up, like a socket that cannot.
 */
export async function startHttpApi(args: {
  stateDir: string;
  gid: number | null;
  options: HttpOptions;
  access: HandlerAccess;
  registry: ConfigRegistry;
  logLimit: (line: string) => void;
  ready: Promise<void>;
}): Promise<RunningHttpApi> {
  const credentials = ApiCredentials.load(join(args.stateDir, TOKEN_FILE), args.gid);
  const api = new HttpApi({
    access: args.access,
    registry: args.registry,
    credentials,
    logLimit: args.logLimit,
    ready: args.ready,
    wsBufferBytes: wsBufferBytesFromEnv(process.env),
  });
  let url: string;
  try {
    url = await api.listen(args.options);
  } catch (e) {
    throw new StartupError(
      `cannot serve HTTP on ${args.options.host}:${args.options.port}: ${(e as Error).message}`,
    );
  }
  const info = join(args.stateDir, HTTP_INFO_FILE);
  writeFileAtomic(info, `${JSON.stringify({ url, pid: process.pid })}\n`, fileModeFor(args.gid));
  readableAsSocket(info, args.gid);
  return {
    api,
    url,
    close: () => {
      api.close();
      rmSync(info, { force: true });
    },
  };
}
