// Helpers for the logs tests only (not exported from the barrel).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BakedLogSettings } from '@kepler/config';
import type { LogLine } from '@kepler/protocol';

export function settings(over: Partial<BakedLogSettings> = {}): BakedLogSettings {
  return {
    maxSizeBytes: null,
    bufferSize: 0,
    timestamp: false,
    store: { stdout: true, stderr: true },
    retention: { onStart: 'retain', onStop: 'clear', onRestart: 'retain', onExit: 'retain' },
    ...over,
  };
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kepler-logs-test-'));
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ <bytes>` per record. */
export const RECORD_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (.*)$/s;

/** The records of a file as latin1 strings (byte-exact), without their timestamps. */
export function recordsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'latin1');
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((rec) => {
      const m = RECORD_RE.exec(rec);
      if (m === null) throw new Error(`not a record: ${JSON.stringify(rec.slice(0, 80))}`);
      return m[1] as string;
    });
}

export function text(lines: readonly LogLine[]): string[] {
  return lines.map((l) => Buffer.from(l.line).toString('latin1'));
}

/** A record with a fixed time, for hand-made files. */
export function record(ts: number, line: string): string {
  return `${new Date(ts).toISOString()} ${line}\n`;
}

export async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 5));
  }
}
