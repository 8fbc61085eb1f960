import { SERVICE_STATUSES, type ServiceStatus } from './messages.js';
import {
  ACTIVE_STATUSES,
  isActive,
  isTerminal,
  PENDING_OR_ACTIVE_STATUSES,
  PROCESS_STATUSES,
  PROCESSLESS_STATUSES,
  STARTED_STATUSES,
  TERMINAL_STATUSES,
} from './statuses.js';

const others = (set: ReadonlySet<ServiceStatus>): ServiceStatus[] =>
  SERVICE_STATUSES.filter((s) => !set.has(s));

describe('status sets', () => {
  it('hold the statuses their names promise', () => {
    expect([...ACTIVE_STATUSES].sort()).toEqual(['healthy', 'running', 'starting', 'stopping', 'unhealthy']);
    expect([...TERMINAL_STATUSES].sort()).toEqual(['exited', 'failed', 'stopped']);
    expect([...STARTED_STATUSES].sort()).toEqual(['healthy', 'running', 'unhealthy']);
  });

  it('split every status into pending-or-active and terminal', () => {
    expect(others(TERMINAL_STATUSES).sort()).toEqual([...PENDING_OR_ACTIVE_STATUSES].sort());
  });

  it('split every status into active and processless', () => {
    expect(others(ACTIVE_STATUSES).sort()).toEqual([...PROCESSLESS_STATUSES].sort());
  });

  it('count starting as active but not as having a process yet', () => {
    expect([...PROCESS_STATUSES, 'starting'].sort()).toEqual([...ACTIVE_STATUSES].sort());
  });

  it('count every started status as having a process', () => {
    for (const s of STARTED_STATUSES) expect(PROCESS_STATUSES.has(s)).toBe(true);
  });

  it('answer the predicates from the sets', () => {
    for (const s of SERVICE_STATUSES) {
      expect(isActive(s)).toBe(ACTIVE_STATUSES.has(s));
      expect(isTerminal(s)).toBe(TERMINAL_STATUSES.has(s));
    }
  });
});
