import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processExists } from './stop.js';

describe('processExists', () => {
  it('is true for this process and false for a pid that cannot exist', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 1)).toBe(false);
  });

  it('is false for a zombie (exited, not yet reaped by its parent)', () => {
    const child = spawn('true', [], { stdio: 'ignore' });
    const pid = child.pid as number;
    // Spin without yielding: Node reaps children from its event loop, so the exited child stays a zombie.
    const deadline = Date.now() + 5000;
    let state = '';
    while (state !== 'Z' && Date.now() < deadline) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat[stat.lastIndexOf(')') + 2] ?? '';
    }
    expect(state).toBe('Z');
    expect(processExists(pid)).toBe(false);
  });
});
