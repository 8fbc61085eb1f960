import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, REPO, TestDaemon } from '../testkit.js';

/**
 * One config of 5,000 services: the daemon stays responsive and alive while it starts and stops them.
 *
 * Forking is slow on this VM (30-40 ms per process when the machine is busy), so 5,000 real processes
 * would take minutes. RUNNING services run `sleep`; the other 4,800 name a command that does not
 * exist, so they go through everything a start does per service (waiting on a dependency,
 * re-evaluation, launch, FIFOs and log capture, state, events) except the fork, and fail.
 */
const SERVICES = 5000;
const RUNNING = 200;
/** Other clients must be answered within this, during start and stop (the config's first load excluded). */
const ANSWER_MS = 1000;
const T = 240_000;

interface StatusClient {
  request(req: { type: 'status' } | { type: 'ps'; config: { path: string; env: object } }): Promise<{
    services?: Array<{ status: string }>;
  }>;
  close(): void;
}
interface ProtocolModule {
  DaemonClient: { connect(socket: string, opts?: { connectTimeoutMs?: number }): Promise<StatusClient> };
}

const d = new TestDaemon('kepler-scale');
let protocol: ProtocolModule;
beforeAll(async () => {
  // The built client, as the CLI uses it: a CLI's own start-up time would blur the daemon's answer time.
  protocol = (await import(join(REPO, 'packages/protocol/dist/index.js'))) as ProtocolModule;
  await d.start();
}, T);
afterAll(() => d.cleanup(), T);

/** Connects and asks for `status` every 100 ms (a new connection each time, as a CLI does). */
function probe(): { worstMs: () => number; stop: () => Promise<{ worstMs: number; answers: number }> } {
  let running = true;
  let worst = 0;
  let answers = 0;
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      try {
        const c = await protocol.DaemonClient.connect(d.socket, { connectTimeoutMs: 30_000 });
        await c.request({ type: 'status' });
        c.close();
        answers++;
      } catch {
        worst = Number.POSITIVE_INFINITY;
      }
      worst = Math.max(worst, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    worstMs: () => worst,
    stop: async () => {
      running = false;
      await loop;
      return { worstMs: worst, answers };
    },
  };
}

/** Pids of live processes whose environment has an entry starting with `prefix`. */
function markedPids(prefix: string): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${e}/environ`, 'latin1')
          .split('\0')
          .some((v) => v.startsWith(prefix))
      )
        found.push(Number(e));
    } catch {
      // gone, or a kernel thread
    }
  }
  return found.filter(alive);
}

test(
  `a config of ${SERVICES} services starts and stops while other clients are answered within ${ANSWER_MS} ms`,
  async () => {
    const lines = ['services:'];
    for (let i = 0; i < RUNNING; i++) lines.push(`  run${i}:`, '    command: ["sleep", "infinity"]');
    for (let i = RUNNING; i < SERVICES; i++) {
      lines.push(`  bad${i}:`, '    command: ["kepler-e2e-no-such-command"]', '    depends_on: [run0]');
    }
    const config = d.writeConfig(`${lines.join('\n')}\n`, 'scale/kepler.yaml');
    // `start -d` loads the config too (its bake runs in a worker; the load yields to other clients):
    // the probe times what a user sees, load included.

    const starting = probe();
    try {
      expect((await d.cli(['start', '-d', '-f', config], { timeoutMs: 120_000 })).code).toBe(0);
      const deadline = Date.now() + 150_000;
      for (;;) {
        // Fail fast on an unanswered client instead of waiting out the deadline.
        expect(starting.worstMs()).toBeLessThanOrEqual(ANSWER_MS);
        const c = await protocol.DaemonClient.connect(d.socket, { connectTimeoutMs: 30_000 });
        const r = await c.request({ type: 'ps', config: { path: config, env: {} } }).finally(() => c.close());
        const statuses = r.services?.map((s) => s.status) ?? [];
        const running = statuses.filter((s) => s === 'running').length;
        if (running === RUNNING && statuses.every((s) => s === 'running' || s === 'failed')) break;
        if (Date.now() > deadline) throw new Error(`only ${running} of ${RUNNING} services run`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await starting.stop();
    }
    const ps = await d.ps(config);
    const started = await starting.stop();
    expect(ps.filter((s) => s.status === 'running')).toHaveLength(RUNNING);
    const failed = ps.filter((s) => s.status === 'failed');
    expect(failed).toHaveLength(SERVICES - RUNNING);
    expect(String(failed[0]?.reason)).toContain('command not found');
    expect(started.answers).toBeGreaterThan(0);
    expect(started.worstMs).toBeLessThanOrEqual(ANSWER_MS);

    const marker = `KEPLER_SERVICE_ID=${d.configStateDir(config).split('/').pop()!.slice(0, 16)}.`;
    expect(markedPids(marker)).toHaveLength(RUNNING);
    const pids = ps.filter((s) => s.status === 'running').map((s) => s.pid as number);
    const stopping = probe();
    const stop = await d.cli(['stop', '-f', config], { timeoutMs: 150_000 }).finally(() => stopping.stop());
    expect(stop.code).toBe(0);
    const stopped = await stopping.stop();
    expect(stopped.worstMs).toBeLessThanOrEqual(ANSWER_MS);
    expect(pids.filter(alive)).toEqual([]);
    expect(markedPids(marker)).toEqual([]);
    expect(d.proc?.exitCode).toBeNull();
  },
  T,
);
