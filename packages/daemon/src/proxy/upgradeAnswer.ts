import type { Socket } from 'node:net';
import { ResponseParser } from './ResponseParser.js';

/** Longest first line of an answer read before deciding (a status line is a few dozen bytes). */
const MAX_STATUS_LINE_BYTES = 8 * 1024;

/**
 * Reads the backend's answer to an `Upgrade` request. On `101 Switching Protocols` the bytes go on
 * to the client and `switched` runs (the caller pipes both ways from then on). Any other answer is the
 * backend declining the upgrade: it is passed on as one HTTP answer with `connection: close`, then
 * both connections end, so that nothing more the client sends reaches this backend unrouted.
 */
export function awaitUpgradeAnswer(
  backend: Socket,
  client: Socket,
  isHead: boolean,
  switched: () => void,
): void {
  let first = Buffer.alloc(0);
  const onData = (data: Buffer) => {
    first = Buffer.concat([first, data]);
    const eol = first.indexOf('\r\n');
    if (eol < 0 && first.length < MAX_STATUS_LINE_BYTES) return;
    backend.off('data', onData);
    if (/^HTTP\/1\.[01] 101 /.test(first.subarray(0, Math.max(eol, 0)).toString('latin1'))) {
      client.write(first);
      backend.pipe(client);
      switched();
    } else declined(backend, client, isHead, first);
  };
  backend.on('data', onData);
  backend.on('end', () => {
    if (first.length === 0) client.destroySoon();
  });
}

function declined(backend: Socket, client: Socket, isHead: boolean, first: Buffer): void {
  // destroySoon, not end: what the client sent after its request is never read, so it would never see
  // the client's own end of the connection either.
  const done = () => {
    client.destroySoon();
    backend.destroy();
  };
  const parser = new ResponseParser(isHead, {
    head: (status, reason, headers) => {
      let text = `HTTP/1.1 ${status} ${reason}\r\n`;
      for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
      client.write(`${text}connection: close\r\n\r\n`);
    },
    body: (chunk) => client.write(chunk),
    end: done,
  });
  const push = (data: Buffer) => {
    if (parser.push(data) !== null) done();
  };
  backend.on('data', push);
  backend.on('end', () => {
    parser.close();
    done();
  });
  push(first);
}
