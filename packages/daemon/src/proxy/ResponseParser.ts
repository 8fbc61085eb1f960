/** What the parser hands on: the head once, body bytes as they come (chunk framing removed), the end. */
export interface ResponseSink {
  /** Status, reason and raw headers (`[name, value, ...]`) without hop-by-hop ones. */
  head(status: number, reason: string, headers: string[]): void;
  body(chunk: Buffer): void;
  /** The answer is complete; `reusable`: the connection may carry another request. */
  end(reusable: boolean): void;
}

/** Longest response head accepted (Node's own limit is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Headers that describe one hop, not the message (RFC 9110 7.6.1): never forwarded, either way (Node
 * frames the client's answer itself). ReverseProxy.ts uses the same set for requests.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

type Framing =
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-crlf' | 'trailer'; left: number }
  | { kind: 'close' };

/**
 * Frames one HTTP/1.x response read from a backend connection (RFC 9112 section 6): its head, then a
 * body by Content-Length, by chunks (decoded; trailers dropped) or until the connection closes; none
 * for HEAD, 1xx (skipped), 204 and 304. `push` returns a problem (the connection is then unusable)
 * or null.
 */
export class ResponseParser {
  private pending: Buffer = Buffer.alloc(0);
  private framing: Framing | null = null;
  private keepAlive = false;
  private done = false;

  constructor(
    private readonly isHeadRequest: boolean,
    private readonly sink: ResponseSink,
  ) {}

  push(data: Buffer): string | null {
    if (this.done) return data.length > 0 ? 'bytes after the end of the answer' : null;
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && !this.done) {
      if (this.framing === null) {
        const end = buf.indexOf(HEAD_END);
        if (end < 0) {
          if (buf.length > MAX_HEAD_BYTES) return 'the answer head is too long';
          this.pending = buf;
          return null;
        }
        const problem = this.readHead(buf.subarray(0, end).toString('latin1'));
        if (problem !== null) return problem;
        buf = buf.subarray(end + 4);
        continue;
      }
      const rest = this.readBody(buf);
      if (typeof rest === 'string') return rest;
      buf = rest;
    }
    if (this.done && buf.length > 0) return 'bytes after the end of the answer';
    return null;
  }

  /** The backend closed the connection: true when that completes the answer (or it was complete). */
  close(): boolean {
    if (this.done) return true;
    if (this.framing?.kind !== 'close') return false;
    this.finish(false);
    return true;
  }

  private readHead(text: string): string | null {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) return `not an HTTP/1.x answer: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`;
    const http11 = m[1] === '1';
    const status = Number(m[2]);
    if (status >= 100 && status < 200 && status !== 101) return null; // informational: the real head follows
    const headers: string[] = [];
    let length: number | null = null;
    let chunked = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) return `a malformed header line: ${JSON.stringify(line.slice(0, 40))}`;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (!/^\d+$/.test(value) || (length !== null && length !== Number(value)))
          return 'a bad Content-Length';
        length = Number(value);
      } else if (lower === 'transfer-encoding') chunked = value.toLowerCase().endsWith('chunked');
      else if (lower === 'connection') connection = value.toLowerCase();
      if (!HOP_BY_HOP.has(lower)) headers.push(name, value);
    }
    this.keepAlive = http11 ? !connection.includes('close') : connection.includes('keep-alive');
    this.sink.head(status, m[3] ?? '', headers);
    if (this.isHeadRequest || status === 204 || status === 304) this.finish(this.keepAlive);
    else if (chunked) this.framing = { kind: 'chunked', state: 'size', left: 0 };
    else if (length !== null) {
      this.framing = { kind: 'length', left: length };
      if (length === 0) this.finish(this.keepAlive);
    } else this.framing = { kind: 'close' };
    return null;
  }

  /** Consumes body bytes; returns what is left after the answer's end, or a problem. */
  private readBody(buf: Buffer): Buffer | string {
    const f = this.framing as Framing;
    if (f.kind === 'close') {
      this.sink.body(buf);
      return Buffer.alloc(0);
    }
    if (f.kind === 'length') {
      const take = Math.min(f.left, buf.length);
      if (take > 0) this.sink.body(buf.subarray(0, take));
      f.left -= take;
      if (f.left === 0) this.finish(this.keepAlive);
      return buf.subarray(take);
    }
    return this.readChunked(f, buf);
  }

  private readChunked(f: Extract<Framing, { kind: 'chunked' }>, input: Buffer): Buffer | string {
    let buf = input;
    while (buf.length > 0 && !this.done) {
      if (f.state === 'data') {
        const take = Math.min(f.left, buf.length);
        this.sink.body(buf.subarray(0, take));
        f.left -= take;
        buf = buf.subarray(take);
        if (f.left === 0) f.state = 'data-crlf';
        continue;
      }
      const eol = buf.indexOf(CRLF);
      if (eol < 0) {
        if (buf.length > MAX_HEAD_BYTES) return 'a chunk line is too long';
        this.pending = buf;
        return Buffer.alloc(0);
      }
      const line = buf.subarray(0, eol).toString('latin1');
      buf = buf.subarray(eol + 2);
      if (f.state === 'data-crlf') {
        if (line !== '') return 'a chunk is not followed by CRLF';
        f.state = 'size';
      } else if (f.state === 'size') {
        const size = Number.parseInt(line.split(';', 1)[0] as string, 16);
        if (!Number.isFinite(size) || size < 0)
          return `a bad chunk size: ${JSON.stringify(line.slice(0, 20))}`;
        f.left = size;
        f.state = size === 0 ? 'trailer' : 'data';
      } else if (line === '') this.finish(this.keepAlive); // trailers end with a blank line
    }
    return buf;
  }

  private finish(reusable: boolean): void {
    this.done = true;
    this.sink.end(reusable);
  }
}
