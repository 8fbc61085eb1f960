import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { firstLine, isRoot, makeTmpDir, PY, readAll } from './__tests__/helpers.js';
import { notifySystemd } from './notify.js';

/** Receives one datagram on a unix socket and prints "ready", then the text and the sender's credential pid. */
const RECEIVER = `
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("ready", flush=True)
msg, anc, _, _ = s.recvmsg(4096, 1024)
pid = [struct.unpack("iII", d)[0] for l, t, d in anc if t == socket.SCM_CREDENTIALS]
print(repr(msg.decode()), pid[0] if pid else None, flush=True)
`;

// systemd-notify outside a systemd system refuses a send now and then when the whole suite runs
// (about one run in ten, not reproducible alone; the daemon retries, see notify.ts). A broken send never
// delivers READY=1, so retrying the scenario cannot hide a real failure.
jest.retryTimes(2);

describe('notifySystemd', () => {
  const saved = process.env.NOTIFY_SOCKET;
  afterEach(() => {
    if (saved === undefined) delete process.env.NOTIFY_SOCKET;
    else process.env.NOTIFY_SOCKET = saved;
  });

  test('does nothing without NOTIFY_SOCKET', async () => {
    delete process.env.NOTIFY_SOCKET;
    await expect(notifySystemd('READY=1')).resolves.toBe(false);
  });

  const canSend = isRoot && ['/usr/bin/systemd-notify', '/bin/systemd-notify'].some((p) => existsSync(p));
  (canSend ? test : test.skip)('sends READY=1 with the daemon pid as sender', async () => {
    const sock = join(makeTmpDir(), 'notify.sock');
    const receiver = spawn(PY, ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const out = readAll(receiver.stdout);
      expect(await firstLine(receiver.stdout)).toBe('ready');
      process.env.NOTIFY_SOCKET = sock;
      await expect(notifySystemd('READY=1')).resolves.toBe(true);
      const [, line] = (await out).toString().split('\n');
      expect(line).toMatch(/READY=1/);
      expect(line?.endsWith(` ${process.pid}`)).toBe(true);
    } finally {
      receiver.kill('SIGKILL');
    }
  });
});
