import { ResponseParser } from './ResponseParser.js';

function parse(isHead: boolean, ...pieces: string[]) {
  const got = {
    head: null as null | [number, string, string[]],
    body: '',
    ends: [] as boolean[],
    problems: [] as string[],
  };
  const p = new ResponseParser(isHead, {
    head: (status, reason, headers) => {
      got.head = [status, reason, headers];
    },
    body: (chunk) => {
      got.body += chunk.toString('latin1');
    },
    end: (reusable) => got.ends.push(reusable),
  });
  for (const piece of pieces) {
    const problem = p.push(Buffer.from(piece, 'latin1'));
    if (problem !== null) got.problems.push(problem);
  }
  return { ...got, parser: p };
}

describe('ResponseParser', () => {
  it('frames by Content-Length, across pieces, dropping hop-by-hop headers', () => {
    const r = parse(
      false,
      'HTTP/1.1 200 OK\r\nContent-Len',
      'gth: 5\r\nConnection: keep-alive\r\nX-A: 1\r\n\r\nhe',
      'llo',
    );
    expect(r.head).toEqual([200, 'OK', ['Content-Length', '5', 'X-A', '1']]);
    expect(r.body).toBe('hello');
    expect(r.ends).toEqual([true]);
    expect(r.problems).toEqual([]);
  });

  it('decodes chunks split anywhere, with extensions and trailers', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n';
    for (let cut = 1; cut < raw.length; cut += 7) {
      const r = parse(false, raw.slice(0, cut), raw.slice(cut));
      expect([r.body, r.ends, r.problems]).toEqual(['hello world', [true], []]);
    }
  });

  it('has no body for HEAD, 204 and 304; skips 1xx; reads to close without framing', () => {
    expect(parse(true, 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n').ends).toEqual([true]);
    expect(parse(false, 'HTTP/1.1 204 No Content\r\n\r\n').ends).toEqual([true]);
    const info = parse(
      false,
      'HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    expect([info.head?.[0], info.body, info.ends]).toEqual([200, 'ok', [true]]);
    const close = parse(false, 'HTTP/1.0 200 OK\r\n\r\nall of it');
    expect(close.ends).toEqual([]);
    expect(close.parser.close()).toBe(true);
    expect([close.body, close.ends]).toEqual(['all of it', [false]]);
  });

  it('HTTP/1.0 and Connection: close are not reusable; garbage is a problem', () => {
    expect(parse(false, 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').ends).toEqual([false]);
    expect(parse(false, 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').ends).toEqual([
      false,
    ]);
    expect(parse(false, 'SSH-2.0-OpenSSH\r\n\r\n').problems[0]).toMatch(/^not an HTTP\/1.x answer/);
    expect(parse(false, 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab').problems).toEqual([
      'bytes after the end of the answer',
    ]);
    expect(parse(false, 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab').parser.close()).toBe(false);
  });
});
