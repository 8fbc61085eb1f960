import net from 'node:net';
import { settleWithin } from './probeDeadline.js';
import type { ProbeResult } from './probeResult.js';

/** TCP probe: passes once a connection to host:port is established (then closed at once). Never rejects. */
export function runTcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const timeoutOutput = `connect to ${host}:${port} timed out after ${timeoutMs} ms`;
  return settleWithin(timeoutMs, signal, timeoutOutput, (finish) => {
    const socket = net.connect({ host, port });
    socket.on('connect', () => finish({ ok: true, output: `connected to ${host}:${port}` }));
    socket.on('error', (e) => finish({ ok: false, output: e.message }));
    return () => socket.destroy();
  });
}
