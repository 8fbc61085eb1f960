import { waitFor } from '../testkit.js';
import { call, type HttpDaemon, type Json, startHttpDaemon, WsClient } from './httpkit.js';

/**
 * The WebSocket streams over real WebSockets: events (status changes of a restart and a crash, hook
 * progress), a log follow, a slow reader dropped with a close code, and the token.
 */
let d: HttpDaemon;
let config: string;
/** Bytes a WebSocket client may leave unread in this daemon (the default is 8 MiB). */
const WS_BUFFER_BYTES = 64 * 1024;

beforeAll(async () => {
  d = await startHttpDaemon('kepler-http-streams', { KEPLER_WS_MAX_BUFFERED_BYTES: String(WS_BUFFER_BYTES) });
  config = d.daemon.writeConfig(`services:
  web:
    command: ["sh", "-c", "while true; do echo tick web; sleep 0.2; done"]
    stop_grace_period: 1s
    restart: always
    healthcheck: { test: ["sh", "-c", "echo probed"], interval: 300ms }
    hooks:
      pre_start:
        run: "echo preparing web"
  flood:
    command: ["sh", "-c", "head -c 16000000 /dev/zero | tr '\\\\000' x | fold -w 999; exec sleep 300"]
    stop_grace_period: 1s
`);
  expect((await d.daemon.cli(['start', '-d', '-f', config, 'web'])).code).toBe(0);
  await d.daemon.waitStatus(config, 'web', 'healthy');
}, 60_000);

afterAll(async () => {
  await d?.daemon.cleanup();
}, 60_000);

test('a stream needs the token', async () => {
  await expect(new WsClient(d, '/api/v1/events', null).opened).rejects.toThrow('HTTP 401');
  await expect(new WsClient(d, '/api/v1/events', 'wrong').opened).rejects.toThrow('HTTP 401');
  await expect(new WsClient(d, '/api/v1/logs?follow&head=x').opened).rejects.toThrow('HTTP 400');
});

test('the event stream sees a restart, its hook, and a crash with the new pid', async () => {
  const events = new WsClient(d, `/api/v1/events?config=${encodeURIComponent(config)}`);
  await events.waitMessage((m) => m.type === 'subscribed', 'subscribed');
  const before = (await d.daemon.service(config, 'web')).pid as number;
  expect((await call(d, '/api/v1/restart', { body: { services: ['web'] } })).status).toBe(200);
  for (const status of ['stopping', 'running']) {
    await events.waitMessage(
      (m) => m.type === 'serviceStatusChanged' && m.service === 'web' && m.status === status,
      `web ${status}`,
    );
  }
  await events.waitMessage(
    (m) => m.type === 'progress' && m.message === 'running pre_start hook',
    'the hook',
  );
  const restarted = await events.waitMessage((m) => m.status === 'running', 'running');
  expect(restarted).toMatchObject({ config, info: { name: 'web', pid: expect.any(Number) } });
  expect(restarted.info.pid).not.toBe(before);

  // A crash, seen as it happens (restart: always brings it back with another pid).
  const from = events.messages.length;
  process.kill(restarted.info.pid, 'SIGKILL');
  await events.waitMessage(
    (m) => m.service === 'web' && (m.status === 'restarting' || m.status === 'failed'),
    'the crash',
    15_000,
    from,
  );
  const back = await events.waitMessage(
    (m) => m.service === 'web' && m.status === 'running',
    'running again',
    15_000,
    from,
  );
  expect(back.info.pid).not.toBe(restarted.info.pid);
  events.close();
  await events.closed;
});

test('the event stream carries every health check result', async () => {
  const events = new WsClient(d, '/api/v1/events');
  await events.waitMessage((m) => m.type === 'subscribed', 'subscribed');
  const first = await events.waitMessage((m) => m.type === 'healthChecked', 'a health check');
  expect(first).toEqual({
    type: 'healthChecked',
    config,
    service: 'web',
    ok: true,
    output: expect.stringContaining('probed'),
    at: expect.any(String),
    failures: 0,
  });
  // Results keep coming without any status change.
  await events.waitMessage((m) => m.type === 'healthChecked' && m.at !== first.at, 'another health check');
  events.close();
  await events.closed;
});

test('a log follow streams lines as they are captured', async () => {
  const follow = new WsClient(d, `/api/v1/logs?follow&services=web&tail=0`);
  await follow.opened;
  const connectedAt = Date.now();
  const live = await follow.waitMessage(
    (m) =>
      m.type === 'logLines' &&
      m.lines.some((l: Json) => l.line === 'tick web' && Date.parse(l.ts) >= connectedAt),
    'a live line',
  );
  expect(live.lines[0]).toMatchObject({ service: 'web', stream: 'stdout' });
  follow.close();
  expect(await follow.closed).toBe(1005);
});

test('a reader that does not read is dropped with 1013 once its buffer passes the bound', async () => {
  const slow = new WsClient(d, `/api/v1/logs?follow&services=flood&tail=0`);
  await slow.opened;
  slow.ws.pause();
  expect((await call(d, '/api/v1/start', { body: { services: ['flood'] } })).status).toBe(200);
  await waitFor(() => d.daemon.log.includes('dropping a WebSocket client that does not read'), 'the drop', {
    timeoutMs: 30_000,
  });
  slow.ws.resume();
  expect(await slow.closed).toBe(1013);
  // Others are served as before.
  expect((await call(d, '/api/v1/status')).status).toBe(200);
}, 60_000);
