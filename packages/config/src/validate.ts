/**
 * Stage 3, validate: the rules that span keys and services, checked on the `NormalizedConfig` after
 * every value has its type. Everything found is reported; nothing is thrown.
 */
import { didYouMean, type IssueCollector, joinPath, type Pos } from './issues.js';
import {
  isHealthcheckNone,
  isOwnPortPath,
  type NormalizedConfig,
  type NormalizedHook,
  type NormalizedService,
  OWN_PORT_TCP,
  validateServiceType,
} from './schema/index.js';
import type { DependencyCondition } from './types.js';

const NEEDS_HEALTHCHECK: ReadonlySet<DependencyCondition> = new Set(['service_healthy', 'service_unhealthy']);
const NO_PORT = "probes the service's own port, and this service has no port (set port: N or port: auto)";
const TAKES_EXIT_CODE: ReadonlySet<DependencyCondition> = new Set(['service_failed', 'service_stopped']);

/** Reports every cross-field problem of `config` to `issues`. */
export function validateConfig(config: NormalizedConfig, issues: IssueCollector): void {
  const services = config.services ?? [];
  const byName = new Map(services.map((entry) => [entry.key, entry.value] as const));
  for (const { key: name, value: service } of services) {
    validateService(name, service, byName, issues);
  }
  reportShared(services, issues, 'hostname', (s) => s.hostname, 'the proxy routes a name to one service');
  // A fixed port; `auto` ports are picked apart by the daemon.
  reportShared(
    services,
    issues,
    'port',
    (s) => (typeof s.port === 'number' ? String(s.port) : undefined),
    'one service can listen on it',
  );
  const globalHooks = config.kepler?.hooks;
  if (globalHooks) {
    for (const [hookName, hook] of hookEntries(globalHooks)) {
      validateHook(`kepler.hooks.${hookName}`, hook, issues);
    }
  }
  reportCycles(config, issues);
}

/**
 * Two services of one config cannot share a hostname (the proxy routes a name to one service) or a
 * fixed port (one of them could never start): an error at the second one's key.
 */
function reportShared(
  services: readonly { key: string; value: NormalizedService }[],
  issues: IssueCollector,
  key: 'hostname' | 'port',
  pick: (service: NormalizedService) => string | undefined,
  why: string,
): void {
  const owners = new Map<string, string>();
  for (const { key: name, value: service } of services) {
    const value = pick(service);
    if (value === undefined) continue;
    const owner = owners.get(value);
    if (owner === undefined) owners.set(value, name);
    else
      issues.add(
        `services.${name}.${key}`,
        `${value} is already service ${owner}'s ${key} (${why})`,
        service.$at[key],
      );
  }
}

function hookEntries(hooks: object): [string, NormalizedHook][] {
  return Object.entries(hooks).filter(
    (entry): entry is [string, NormalizedHook] => !entry[0].startsWith('$') && typeof entry[1] === 'object',
  );
}

function validateService(
  name: string,
  service: NormalizedService,
  byName: ReadonlyMap<string, NormalizedService>,
  issues: IssueCollector,
): void {
  const path = `services.${name}`;
  const at = service.$at;
  if (service.command !== undefined) {
    if (service.command.length === 0) {
      issues.add(
        `${path}.command`,
        'command is empty (give the program and its arguments, e.g. ["sleep", "60"])',
        at.command,
      );
    } else if (service.command[0] === '') {
      issues.add(`${path}.command[0]`, 'the program name is empty', at.command);
    }
  }

  validateServiceType(path, service, issues);

  const restart = service.restart;
  if (restart) {
    if ((restart.watch?.length ?? 0) > 0 && (restart.policy ?? 'no') === 'no') {
      issues.add(
        `${path}.restart.watch`,
        'watch needs restart policy always or on-failure (policy is "no"); a file change would have nothing to restart',
        restart.watchPos ?? restart.pos,
      );
    }
    const backoff = restart.backoff;
    if (backoff?.initial !== undefined && backoff.max !== undefined && backoff.initial > backoff.max) {
      issues.add(`${path}.restart.backoff`, 'initial is longer than max', restart.backoffPos ?? restart.pos);
    }
  }

  const hc = service.healthcheck;
  if (hc) {
    const probes = (['test', 'http', 'tcp'] as const).filter(
      (key) => hc[key] !== undefined || hc.$invalid.has(key),
    );
    if (probes.length === 0) {
      issues.add(`${path}.healthcheck`, 'needs one of test, http or tcp', hc.$pos);
    } else if (probes.length > 1) {
      issues.add(
        `${path}.healthcheck`,
        `use only one of test, http or tcp (found ${probes.join(' and ')})`,
        hc.$pos,
      );
    }
    // A path or `port` probes the service's own port: there must be one.
    if (service.port === undefined && service.hostname === undefined && !service.$invalid.has('port')) {
      if (hc.http !== undefined && isOwnPortPath(hc.http))
        issues.add(`${path}.healthcheck.http`, `${NO_PORT} (give a full URL, or set port)`, hc.$at.http);
      if (hc.tcp === OWN_PORT_TCP)
        issues.add(`${path}.healthcheck.tcp`, `${NO_PORT} (give HOST:PORT, or set port)`, hc.$at.tcp);
    }
    // on_unhealthy and start_timeout act on a verdict: without a probe there is none.
    if (probes.length === 0 || isHealthcheckNone(hc)) {
      for (const key of ['on_unhealthy', 'start_timeout'] as const) {
        if (hc[key] === undefined) continue;
        issues.add(
          `${path}.healthcheck.${key}`,
          `${key} needs a health check (test, http or tcp), and this one has none`,
          hc.$at[key],
        );
      }
    }
    if (hc.test !== undefined && (hc.test.length === 0 || hc.test[0] === '')) {
      issues.add(
        `${path}.healthcheck.test`,
        'test is empty (give a command, e.g. ["sh", "-c", "exit 0"])',
        hc.$at.test,
      );
    }
  }

  if (service.hooks) {
    for (const [hookName, hook] of hookEntries(service.hooks))
      validateHook(`${path}.hooks.${hookName}`, hook, issues);
  }

  const seen = new Set<string>();
  for (const dep of service.depends_on ?? []) {
    const depPath = `${path}.depends_on.${dep.name}`;
    if (seen.has(dep.name)) {
      issues.add(depPath, `"${dep.name}" is listed twice`, dep.namePos);
      continue;
    }
    seen.add(dep.name);
    const target = byName.get(dep.name);
    if (!target) {
      const guess = didYouMean(dep.name, byName.keys());
      issues.add(
        depPath,
        `unknown service "${dep.name}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
        dep.namePos,
      );
      continue;
    }
    const condition = dep.spec?.condition;
    if (
      condition &&
      NEEDS_HEALTHCHECK.has(condition) &&
      (!target.healthcheck || isHealthcheckNone(target.healthcheck)) &&
      !target.$invalid.has('healthcheck')
    ) {
      issues.add(
        `${depPath}.condition`,
        `${condition} needs a healthcheck on "${dep.name}", which has none`,
        dep.spec?.$at.condition ?? dep.namePos,
      );
    }
    if (dep.spec?.exit_code !== undefined && !(condition && TAKES_EXIT_CODE.has(condition))) {
      issues.add(
        `${depPath}.exit_code`,
        `exit_code applies only to service_failed and service_stopped (condition is ${condition ?? 'service_started'})`,
        dep.spec.$at.exit_code,
      );
    }
  }
}

function validateHook(path: string, hook: NormalizedHook, issues: IssueCollector): void {
  const hasRun = hook.run !== undefined || hook.$invalid.has('run');
  const hasCommand = hook.command !== undefined || hook.$invalid.has('command');
  if (hasRun && hasCommand) issues.add(path, 'use either run or command, not both', hook.$pos);
  else if (!hasRun && !hasCommand)
    issues.add(path, 'needs run (a shell script) or command (an argv list)', hook.$pos);
  if (hook.run !== undefined && hook.run.trim() === '')
    issues.add(joinPath(path, 'run'), 'run is empty', hook.$at.run);
  if (hook.command !== undefined && (hook.command.length === 0 || hook.command[0] === '')) {
    issues.add(joinPath(path, 'command'), 'command is empty', hook.$at.command);
  }
}

/** Finds dependency cycles by depth-first search in source order and reports each once. */
function reportCycles(config: NormalizedConfig, issues: IssueCollector): void {
  const services = config.services ?? [];
  const edges = new Map<string, { name: string; pos: Pos }[]>();
  for (const { key, value } of services) {
    edges.set(
      key,
      (value.depends_on ?? []).map((dep) => ({ name: dep.name, pos: dep.namePos })),
    );
  }
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const edge of edges.get(name) ?? []) {
      if (!edges.has(edge.name)) continue; // unknown names are reported elsewhere
      const seen = state.get(edge.name);
      if (seen === 'active') {
        const cycle = stack.slice(stack.indexOf(edge.name));
        const signature = [...cycle].sort().join(' ');
        if (!reported.has(signature)) {
          reported.add(signature);
          const first = cycle[0] as string;
          issues.add(
            `services.${first}.depends_on`,
            `dependency cycle: ${[...cycle, edge.name].join(' -> ')}`,
            firstEdgePos(edges, cycle, edge.pos),
          );
        }
      } else if (seen === undefined) {
        visit(edge.name);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const { key } of services) if (!state.has(key)) visit(key);
}

/** The position of the first edge of the cycle (from its first service to the next). */
function firstEdgePos(
  edges: ReadonlyMap<string, { name: string; pos: Pos }[]>,
  cycle: string[],
  fallback: Pos,
): Pos {
  const [from, to] = cycle.length > 1 ? [cycle[0], cycle[1]] : [cycle[0], cycle[0]];
  return edges.get(from ?? '')?.find((edge) => edge.name === to)?.pos ?? fallback;
}
