import type { BakedService } from '@kepler/config';
import type { PortHolder } from '../platform/index.js';
import { assignPort, holderMessage } from './assignPort.js';
import { PortBook, type ServiceRef } from './PortBook.js';

const spec = (extra: Partial<BakedService>) => ({ name: 'web', ...extra }) as BakedService;
const A: ServiceRef = { config: '/a/kepler.yaml', service: 'web' };
const B: ServiceRef = { config: '/b/kepler.yaml', service: 'web' };
const running = () => ({ status: 'running' as const, port: 1 });

function input(
  book: PortBook,
  ref: ServiceRef,
  s: Partial<BakedService>,
  taken = new Map<number, PortHolder[]>(),
) {
  return {
    spec: spec(s),
    ref,
    previous: null,
    book,
    findPortHolders: (p: number) => taken.get(p) ?? null,
    target: running,
  };
}

describe('assignPort', () => {
  it('a service without port or hostname gets none', async () => {
    expect(await assignPort(input(new PortBook(), A, {}))).toEqual({ port: null });
  });

  it('a fixed port is given as is when free, refused naming the holder when taken', async () => {
    const book = new PortBook();
    expect(await assignPort(input(book, A, { port: 8080 }))).toEqual({ port: 8080 });
    const taken = new Map([[8080, [{ pid: 4242, command: 'python3 -m http.server 8080', serviceId: null }]]]);
    expect(await assignPort(input(book, B, { port: 8080 }, taken))).toEqual({
      refusal: 'port 8080 is in use by pid 4242 (python3 -m http.server 8080), not started by Kepler',
    });
  });

  it('auto keeps the previous port while free, and never takes a port another service holds', async () => {
    const book = new PortBook();
    book.reserve(B, 40_000);
    const first = await assignPort({ ...input(book, A, { port: 'auto' }), previous: 40_000 });
    expect('port' in first && first.port).not.toBe(40_000);
    const port = 'port' in first ? (first.port as number) : 0;
    expect(await assignPort({ ...input(book, A, { port: 'auto' }), previous: port })).toEqual({ port });
    const taken = new Map([[port, [{ pid: 7, command: 'nc -l', serviceId: null }]]]);
    const moved = await assignPort({ ...input(book, A, { port: 'auto' }, taken), previous: port });
    expect('port' in moved && moved.port).not.toBe(port);
  });

  it('a hostname belongs to the first service that claims it', async () => {
    const book = new PortBook();
    expect(await assignPort(input(book, A, { hostname: 'web.localhost', port: 'auto' }))).toHaveProperty(
      'port',
    );
    expect(await assignPort(input(book, B, { hostname: 'web.localhost', port: 'auto' }))).toEqual({
      refusal: 'hostname web.localhost is already routed to service web of /a/kepler.yaml',
    });
    book.syncConfig(A.config, null); // the first config is removed
    expect(await assignPort(input(book, B, { hostname: 'web.localhost', port: 'auto' }))).toHaveProperty(
      'port',
    );
  });
});

describe('holderMessage', () => {
  it('names the service of a holder Kepler started', () => {
    const book = new PortBook();
    book.describeServiceId = (id) =>
      id === 'abc.api' ? { config: '/srv/app/kepler.yaml', service: 'api' } : null;
    const holder = { pid: 4242, command: 'node api.js', serviceId: 'abc.api' };
    expect(holderMessage(8080, [holder], book)).toBe(
      'port 8080 is in use by pid 4242 (node api.js), started by service api of /srv/app/kepler.yaml',
    );
    expect(holderMessage(8080, [], book)).toBe('port 8080 is in use (by a process not visible to Kepler)');
  });

  it('keeps the message on one line when the holder was started with newlines in its arguments', () => {
    const holder = { pid: 7, command: 'python3 -c \nimport socket\n\ts.listen()', serviceId: null };
    expect(holderMessage(8080, [holder], new PortBook())).toBe(
      'port 8080 is in use by pid 7 (python3 -c import socket s.listen()), not started by Kepler',
    );
  });
});

describe('PortBook', () => {
  it('wants a proxy while a loaded config declares a hostname, and says so to listeners', () => {
    const book = new PortBook();
    let changes = 0;
    book.onChange(() => changes++);
    expect(book.wantsProxy).toBe(false);
    book.syncConfig('/a/kepler.yaml', new Map([['web', 'web.localhost']]));
    expect(book.wantsProxy).toBe(true);
    book.syncConfig('/a/kepler.yaml', new Map());
    expect(book.wantsProxy).toBe(false);
    expect(changes).toBe(2);
    expect(book.urlOf('web.localhost')).toBe('http://web.localhost:7380');
  });
});
