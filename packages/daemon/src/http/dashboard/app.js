// The Kepler dashboard: plain DOM, no framework, no build step. Everything comes from the daemon's
// own API (same origin, the session key session.js keeps): /api/v1/configs and /services, a WebSocket
// of events for live status, and a WebSocket log follow for the log pane (logPane.js).

import { $, el, setChildren, setText, wsUrl } from './dom.js';
import { openLogs } from './logPane.js';
import {
  isLoggedOut,
  SESSION_EXPIRED_CLOSE,
  sessionHeaders,
  sessionKey,
  sessionProtocols,
  showLogin,
} from './session.js';

/** Full refresh (configs, warnings, staleness, numbers) while the events stream keeps statuses live. */
const REFRESH_MS = 5000;

const state = { configs: [], services: new Map(), cards: new Map(), rows: new Map() };
const keyOf = (config, name) => `${config}\u0000${name}`;

function showError(message) {
  if (isLoggedOut()) return;
  const box = $('#error');
  box.textContent = message;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => {
    box.hidden = true;
  }, 6000);
}

async function api(path, body) {
  const key = sessionKey();
  const res = await fetch(path, {
    method: body ? 'POST' : 'GET',
    // Nothing ambient: the key goes in a header, and no cookie is sent or kept.
    credentials: 'omit',
    headers: { ...sessionHeaders(), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) showLogin(key);
  if (!res.ok) throw new Error(data.message || `HTTP ${res.status}`);
  return data;
}

function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function formatBytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const RUNNING = new Set(['running', 'healthy', 'unhealthy', 'starting', 'stopping', 'restarting']);

function uptimeOf(svc) {
  return RUNNING.has(svc.status) && svc.started_at
    ? formatDuration(Date.now() - Date.parse(svc.started_at))
    : '—';
}

// ---- actions ----------------------------------------------------------------------------------

async function act(action, config, services, button) {
  if (button) button.disabled = true;
  try {
    await api(`/api/v1/${action}`, { config, services });
    await refresh();
  } catch (e) {
    showError(`${action}: ${e.message}`);
  } finally {
    if (button) button.disabled = false;
  }
}

function actionButtons(config, services, label) {
  return el(
    'span',
    { className: 'actions' },
    ...['start', 'stop', 'restart'].map((action) =>
      el('button', {
        type: 'button',
        textContent: action,
        title: `${action} ${label}`,
        dataset: { action },
        onclick: (ev) => act(action, config, services, ev.currentTarget),
      }),
    ),
  );
}

// ---- rendering (keyed: rows are updated in place, so a click is never lost to a redraw) -------

function card(config) {
  let c = state.cards.get(config.path);
  if (!c) {
    const notes = el('div');
    const tbody = el('tbody');
    const head = el(
      'tr',
      {},
      ...['Service', 'Status', 'PID', 'Uptime', 'Restarts', 'Health', 'CPU', 'Memory', 'Reason', ''].map(
        (t) => el('th', { textContent: t }),
      ),
    );
    const node = el(
      'article',
      { className: 'config', dataset: { config: config.path } },
      el(
        'header',
        {},
        el('h2', { textContent: config.path }),
        actionButtons(config.path, [], 'every service'),
      ),
      notes,
      el('table', {}, el('thead', {}, head), tbody),
    );
    c = { node, notes, tbody };
    state.cards.set(config.path, c);
  }
  c.notes.replaceChildren(
    ...(config.stale
      ? [
          el('div', {
            className: 'note stale',
            textContent: 'The config file changed since it was loaded: `kepler up` applies it.',
          }),
        ]
      : []),
    ...(config.warnings || []).map((w) => el('div', { className: 'note warning', textContent: w })),
  );
  return c;
}

function row(svc) {
  const key = keyOf(svc.config, svc.name);
  let r = state.rows.get(key);
  if (!r) {
    const cells = {};
    for (const name of ['status', 'pid', 'uptime', 'restarts', 'health', 'cpu', 'memory', 'reason']) {
      cells[name] = el('td', { className: name === 'reason' ? 'reason' : 'num' });
    }
    // The reason's text sits in a box of a few lines (a health check's output may be 4 KiB); the
    // cell's title has it whole.
    const reasonText = el('div', { className: 'clamp' });
    cells.reason.append(reasonText);
    const logs = el('button', {
      type: 'button',
      className: 'ghost',
      textContent: 'logs',
      dataset: { action: 'logs' },
      onclick: () => openLogs(svc.config, svc.name),
    });
    const node = el(
      'tr',
      { dataset: { config: svc.config, service: svc.name } },
      el('td', { textContent: svc.name }),
      cells.status,
      cells.pid,
      cells.uptime,
      cells.restarts,
      cells.health,
      cells.cpu,
      cells.memory,
      cells.reason,
      el(
        'td',
        {},
        el('span', { className: 'actions' }, actionButtons(svc.config, [svc.name], svc.name), logs),
      ),
    );
    r = { node, cells, reasonText };
    state.rows.set(key, r);
  }
  const { cells } = r;
  if (r.node.dataset.status !== svc.status) {
    cells.status.replaceChildren(
      el('span', { className: `status s-${svc.status}`, textContent: svc.status }),
    );
  }
  r.node.dataset.status = svc.status;
  setText(cells.pid, String(svc.pid ?? '—'));
  setText(cells.uptime, uptimeOf(svc));
  setText(cells.restarts, String(svc.restarts));
  setText(cells.health, svc.health ?? '—');
  setText(cells.cpu, svc.cpu_percent == null ? '—' : `${svc.cpu_percent.toFixed(1)}%`);
  setText(cells.memory, formatBytes(svc.memory_bytes));
  const reason = svc.reason || (svc.status === 'unhealthy' ? svc.last_health_output : '') || '';
  setText(r.reasonText, reason);
  cells.reason.title = reason;
  return r;
}

function render() {
  const root = $('#configs');
  if (state.configs.length === 0) {
    root.replaceChildren(
      el('p', { className: 'muted', textContent: 'No config is loaded. Start one with `kepler start`.' }),
    );
    return;
  }
  const cards = state.configs.map((config) => {
    const c = card(config);
    const rows = [...state.services.values()].filter((s) => s.config === config.path).map((s) => row(s).node);
    setChildren(c.tbody, rows);
    return c.node;
  });
  setChildren(root, cards);
}

// One refresh at a time: asked again meanwhile (a new config's services send dozens of events before
// the first answer arrives), it runs once more afterwards, not once per ask.
let refreshing = null;
let refreshAgain = false;
// Services whose status an event changed while a load was on its way: for them its answer is older.
const changedDuringLoad = new Set();

function refresh() {
  if (isLoggedOut()) return Promise.resolve();
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = load().finally(() => {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      void refresh();
    }
  });
  return refreshing;
}

async function load() {
  changedDuringLoad.clear();
  try {
    const [status, configs, services, top] = await Promise.all([
      api('/api/v1/status'),
      api('/api/v1/configs'),
      api('/api/v1/services'),
      // CPU and memory: the daemon samples them only while someone asks (this page, top, a scrape).
      api('/api/v1/top'),
    ]);
    const usage = new Map(top.services.map((s) => [keyOf(s.config, s.name), s]));
    $('#daemon').textContent =
      `daemon ${status.version} · pid ${status.pid} · up ${formatDuration(status.uptimeMs)}`;
    state.configs = configs.configs;
    state.services = new Map(
      services.services.map((s) => {
        const key = keyOf(s.config, s.name);
        const u = usage.get(key);
        const latest = changedDuringLoad.has(key) ? state.services.get(key) : s;
        return [
          key,
          { ...latest, cpu_percent: u?.cpu_percent ?? null, memory_bytes: u?.memory_bytes ?? null },
        ];
      }),
    );
    render();
  } catch (e) {
    showError(e.message);
  }
}

// ---- live updates -------------------------------------------------------------------------------

function connectEvents() {
  if (isLoggedOut()) return;
  const ws = new WebSocket(wsUrl('/api/v1/events'), sessionProtocols());
  const live = $('#live');
  ws.onmessage = (msg) => {
    const e = JSON.parse(msg.data);
    if (e.type === 'subscribed') {
      live.className = 'live on';
      live.textContent = 'live';
      void refresh();
    } else if (e.type === 'serviceStatusChanged') {
      const key = keyOf(e.config, e.service);
      const known = state.services.get(key);
      state.services.set(key, { ...known, ...e.info });
      if (refreshing) changedDuringLoad.add(key);
      if (state.rows.has(key)) row(state.services.get(key));
      else void refresh();
    }
  };
  const key = sessionKey();
  ws.onclose = (ev) => {
    if (isLoggedOut()) return;
    if (ev.code === SESSION_EXPIRED_CLOSE) return showLogin(key);
    live.className = 'live off';
    live.textContent = 'offline';
    setTimeout(connectEvents, 2000);
  };
}

function start() {
  // Uptimes tick without a request.
  setInterval(() => {
    for (const [key, r] of state.rows) {
      const svc = state.services.get(key);
      if (svc) setText(r.cells.uptime, uptimeOf(svc));
    }
  }, 1000);
  // A hidden tab asks nothing (the daemon samples CPU and memory only while someone asks); it catches
  // up when shown again.
  setInterval(() => {
    if (!document.hidden) void refresh();
  }, REFRESH_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
  });
  void refresh();
  connectEvents();
}

if (sessionKey() === null) showLogin();
else start();
