import type { SnapshotNote } from '@kepler/protocol';
import {
  type FileNames,
  fileNamesOf,
  nameOf,
  overlayWarning,
  psSnapshotLines,
  snapshotLines,
  upCommand,
} from './snapshotNotes.js';
import { staleLine } from './upPlan.js';

const A = '/p/a.yaml';
const B = '/p/b.yaml';
const C = '/p/c.yaml';
const ENV = '/p/.env';

/** `kepler -f a.yaml -f b.yaml ...` run in /p. */
const givenAB: FileNames = fileNamesOf(['a.yaml', 'b.yaml'], { path: A, env: {}, overlays: [B] }, '/p');
/** `kepler -f a.yaml ...` run in /p. */
const givenA: FileNames = fileNamesOf(['a.yaml'], { path: A, env: {} }, '/p');
/** `kepler ...` (the default file) run in /p. */
const givenNone: FileNames = fileNamesOf(undefined, { path: '/p/kepler.yaml', env: {} }, '/p');

const note = (overlays: string[], changed: string[] = [], config = A): SnapshotNote => ({
  config,
  overlays,
  changed,
});

test('staleLine names the changed files and the up that applies them', () => {
  expect(staleLine(['kepler.yaml'])).toBe(
    'kepler.yaml changed since it was baked; kepler up applies it (kepler up --dry-run shows how)',
  );
  expect(staleLine(['.env', 'b.yaml'], 'kepler -f a.yaml -f b.yaml up')).toBe(
    '.env, b.yaml changed since the config was baked; kepler -f a.yaml -f b.yaml up applies them (kepler -f a.yaml -f b.yaml up --dry-run shows how)',
  );
});

test('files are named as typed with -f, else relative to cwd under it, else absolute', () => {
  expect(givenAB.config).toBe('a.yaml');
  expect(givenNone.config).toBe('kepler.yaml');
  expect(nameOf(B, givenAB)).toBe('b.yaml');
  expect(nameOf(ENV, givenAB)).toBe('.env');
  expect(nameOf('/p/sub/x.lua', givenAB)).toBe('sub/x.lua');
  expect(nameOf('/q/c.yaml', givenAB)).toBe('/q/c.yaml');
  const typedElsewhere = fileNamesOf(
    ['../p/a.yaml', 'x/../b.yaml'],
    { path: A, env: {}, overlays: [B] },
    '/q',
  );
  expect(nameOf(B, typedElsewhere)).toBe('x/../b.yaml');
});

test('upCommand keeps the overlays with -f; plain kepler up without them', () => {
  expect(upCommand([], givenAB)).toBe('kepler up');
  expect(upCommand([B], givenAB)).toBe('kepler -f a.yaml -f b.yaml up');
  expect(upCommand([B], givenNone)).toBe('kepler -f kepler.yaml -f b.yaml up');
  expect(upCommand([], givenA, true)).toBe('kepler -f a.yaml up');
  expect(upCommand([], givenNone, true)).toBe('kepler up');
  const spaced = fileNamesOf(['my app.yaml', 'b.yaml'], { path: A, env: {}, overlays: [B] }, '/p');
  expect(upCommand([B], spaced)).toBe("kepler -f 'my app.yaml' -f b.yaml up");
});

test('no warning when the overlays match', () => {
  expect(overlayWarning([B], [B], givenAB)).toBeNull();
  expect(overlayWarning([], [], givenA)).toBeNull();
  expect(snapshotLines(note([B]), givenAB)).toEqual([]);
});

test('an overlay given but not in the snapshot: not applied, and the up that applies it', () => {
  expect(overlayWarning([], [B], givenAB)).toBe(
    'warning: overlay b.yaml not applied: a.yaml runs from a snapshot baked without overlays; kepler -f a.yaml -f b.yaml up bakes it with b.yaml',
  );
});

test('an overlay of the snapshot not given: still applied, and the up that drops it', () => {
  expect(overlayWarning([B], [], givenA)).toBe(
    'warning: overlay b.yaml still applied: a.yaml runs from a snapshot baked with b.yaml; kepler -f a.yaml up bakes it without overlays',
  );
  expect(overlayWarning([B, C], [], givenNone)).toBe(
    'warning: overlays b.yaml, c.yaml still applied: kepler.yaml runs from a snapshot baked with b.yaml, c.yaml; kepler up bakes it without overlays',
  );
});

test('one overlay swapped for another, and the same overlays in another order', () => {
  const givenAC = fileNamesOf(['a.yaml', 'c.yaml'], { path: A, env: {}, overlays: [C] }, '/p');
  expect(overlayWarning([B], [C], givenAC)).toBe(
    'warning: overlay c.yaml not applied, b.yaml still applied: a.yaml runs from a snapshot baked with b.yaml; kepler -f a.yaml -f c.yaml up bakes it with c.yaml',
  );
  const givenACB = fileNamesOf(['a.yaml', 'c.yaml', 'b.yaml'], { path: A, env: {}, overlays: [C, B] }, '/p');
  expect(overlayWarning([B, C], [C, B], givenACB)).toBe(
    'warning: overlays given in another order: a.yaml runs from a snapshot baked with b.yaml, c.yaml; kepler -f a.yaml -f c.yaml -f b.yaml up bakes it with c.yaml, b.yaml',
  );
});

test('a stale snapshot with overlays: the changed overlay is named, and the hint keeps the overlays', () => {
  expect(snapshotLines(note([B], [B]), givenAB)).toEqual([
    'b.yaml changed since it was baked; kepler -f a.yaml -f b.yaml up applies it (kepler -f a.yaml -f b.yaml up --dry-run shows how)',
  ]);
  // Run without the overlay: the warning, then the stale line whose up still keeps it.
  expect(snapshotLines(note([B], [ENV]), givenA)).toEqual([
    'warning: overlay b.yaml still applied: a.yaml runs from a snapshot baked with b.yaml; kepler -f a.yaml up bakes it without overlays',
    '.env changed since it was baked; kepler -f a.yaml -f b.yaml up applies it (kepler -f a.yaml -f b.yaml up --dry-run shows how)',
  ]);
});

test('ps: named for its config, or by path with --all; an older daemon sends only stale paths', () => {
  const ref = { path: A, env: {}, overlays: [B] };
  expect(
    psSnapshotLines({ stale: [A], snapshots: [note([B], [ENV])] }, ref, ['a.yaml', 'b.yaml'], '/p'),
  ).toEqual([
    '.env changed since it was baked; kepler -f a.yaml -f b.yaml up applies it (kepler -f a.yaml -f b.yaml up --dry-run shows how)',
  ]);
  expect(psSnapshotLines({ stale: [A], snapshots: [note([B], [ENV])] }, undefined, undefined, '/q')).toEqual([
    '/p/.env changed since it was baked; kepler -f /p/a.yaml -f /p/b.yaml up applies it (kepler -f /p/a.yaml -f /p/b.yaml up --dry-run shows how)',
  ]);
  expect(psSnapshotLines({ stale: [A] }, ref, ['a.yaml', 'b.yaml'], '/p')).toEqual([staleLine(['a.yaml'])]);
  expect(psSnapshotLines({ stale: [A] }, undefined, undefined, '/p')).toEqual([staleLine([A])]);
  expect(psSnapshotLines({}, ref, ['a.yaml', 'b.yaml'], '/p')).toEqual([]);
  // ps named with no overlays compares none (`ps -f a.yaml` reads a stack started with overlays).
  const refA = { path: A, env: {} };
  expect(psSnapshotLines({ snapshots: [note([B])] }, refA, ['a.yaml'], '/p')).toEqual([]);
  expect(psSnapshotLines({ snapshots: [note([B], [ENV])] }, refA, ['a.yaml'], '/p')).toEqual([
    '.env changed since it was baked; kepler -f a.yaml -f b.yaml up applies it (kepler -f a.yaml -f b.yaml up --dry-run shows how)',
  ]);
  // Named with others than the snapshot's, it warns.
  expect(psSnapshotLines({ snapshots: [note([])] }, ref, ['a.yaml', 'b.yaml'], '/p')).toEqual([
    overlayWarning([], [B], givenAB),
  ]);
});
