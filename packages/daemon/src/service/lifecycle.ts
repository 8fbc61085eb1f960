import type { ServiceStatus } from '@kepler/protocol';

/**
 * The service lifecycle as a transition table: `TRANSITIONS[from]` lists every status a service may
 * move to. `ServiceTransitions.transition()` is the only place a status changes; it rejects anything not
 * listed here, persists the result and emits the event. ARCHITECTURE.md's diagram is tested against it.
 */
export const TRANSITIONS: Readonly<Record<ServiceStatus, readonly ServiceStatus[]>> = {
  stopped: ['waiting', 'starting', 'failed', 'restarting'],
  waiting: ['starting', 'failed', 'stopped', 'stopping'],
  starting: ['running', 'failed', 'stopping', 'stopped', 'exited'],
  running: ['healthy', 'unhealthy', 'stopping', 'restarting', 'exited', 'failed'],
  healthy: ['unhealthy', 'stopping', 'restarting', 'exited', 'failed'],
  unhealthy: ['healthy', 'stopping', 'restarting', 'exited', 'failed'],
  stopping: ['stopped', 'failed', 'exited'],
  restarting: ['starting', 'waiting', 'stopping', 'stopped', 'failed'],
  exited: ['waiting', 'starting', 'restarting', 'stopped', 'failed'],
  failed: ['waiting', 'starting', 'restarting', 'stopped'],
};

export function canTransition(from: ServiceStatus, to: ServiceStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Renders the table as a mermaid state diagram (ARCHITECTURE.md embeds this output; a test pins it). */
export function lifecycleDiagram(): string {
  const lines = ['stateDiagram-v2'];
  for (const [from, tos] of Object.entries(TRANSITIONS)) {
    for (const to of tos) lines.push(`  ${from} --> ${to}`);
  }
  return lines.join('\n');
}
