import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { listPids } from './procfs.js';

/** A process holding a listening TCP socket (see findPortHolders). */
export interface PortHolder {
  readonly pid: number;
  /** Its command line, arguments joined by spaces (`python3 -m http.server 8080`). */
  readonly command: string;
  /** The value of its KEPLER_SERVICE_ID entry (`<config id>.<service>`): which service started it, or null. */
  readonly serviceId: string | null;
}

/** /proc/net/tcp's state column for a listening socket. */
const TCP_LISTEN = '0A';
const MARKER_PREFIX = 'KEPLER_SERVICE_ID=';

/** Inodes of the sockets listening on `port` at any address (IPv4 and IPv6). */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== TCP_LISTEN) continue;
      const local = cols[1] ?? '';
      if (local.slice(local.indexOf(':') + 1) === hexPort) inodes.add(cols[9] as string);
    }
  }
  return inodes;
}

/**
 * Who listens on TCP `port`: null when nothing does. Otherwise the processes holding one of its
 * listening sockets (every /proc/<pid>/fd is read: call it when the port is known to be taken), an
 * empty list when they cannot be seen (another network namespace, or a socket held by no process).
 */
export function findPortHolders(port: number): PortHolder[] | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  const targets = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const holders: PortHolder[] = [];
  for (const pid of listPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        return targets.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (holds) holders.push({ pid, command: commandLine(pid), serviceId: serviceIdOf(pid) });
  }
  return holders;
}

function commandLine(pid: number): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return '?';
  }
}

function serviceIdOf(pid: number): string | null {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const entry = env.find((e) => e.startsWith(MARKER_PREFIX));
    return entry === undefined ? null : entry.slice(MARKER_PREFIX.length);
  } catch {
    return null;
  }
}
