// The log pane: one service's lines, followed over a WebSocket, with search.
import { $, el, wsUrl } from './dom.js';
import { isLoggedOut, SESSION_EXPIRED_CLOSE, sessionKey, sessionProtocols, showLogin } from './session.js';

/** Lines kept in the log pane; older ones are dropped. */
const MAX_LOG_LINES = 5000;

const logs = { ws: null, lines: [] };

/** HH:MM:SS.mmm in the browser's time zone, as `kepler logs` prints a line's time in the machine's. */
function clockOf(iso) {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function lineMatches(text, query) {
  return query === '' || text.toLowerCase().includes(query);
}

/**
 * Terminal escape sequences (colours, cursor moves) as tools print them: a page cannot show them,
 * and left in, "\x1b[31m" would read as text and be matched by a search.
 */
const ANSI_ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

function renderLine(l, query) {
  const node = el(
    'div',
    { className: `line ${l.stream}` },
    el('span', { className: 'ts', textContent: clockOf(l.ts) }),
  );
  const label = l.hook ? `${l.service}.${l.hook} | ` : '';
  const text = label + l.line.replace(ANSI_ESCAPE, '');
  if (query === '') node.append(text);
  else {
    let at = 0;
    const lower = text.toLowerCase();
    for (let i = lower.indexOf(query); i !== -1; i = lower.indexOf(query, at)) {
      node.append(text.slice(at, i), el('mark', { textContent: text.slice(i, i + query.length) }));
      at = i + query.length;
    }
    node.append(text.slice(at));
  }
  node.hidden = !lineMatches(text, query);
  return node;
}

function redrawLogs() {
  const query = $('#logs-search').value.toLowerCase();
  $('#logs-lines').replaceChildren(...logs.lines.map((l) => renderLine(l, query)));
  scrollLogs();
}

function scrollLogs() {
  const pre = $('#logs-lines');
  if ($('#logs-follow').checked) pre.scrollTop = pre.scrollHeight;
}

export function openLogs(config, service) {
  logs.ws?.close();
  logs.lines = [];
  $('#logs').hidden = false;
  $('#logs-title').textContent = service;
  $('#logs').dataset.service = service;
  // Below a long list of services the pane would open out of sight.
  $('#logs').scrollIntoView({ block: 'nearest' });
  redrawLogs();
  const query = new URLSearchParams({ follow: 'true', config, services: service, tail: '200' });
  const ws = new WebSocket(wsUrl(`/api/v1/logs?${query}`), sessionProtocols());
  logs.ws = ws;
  const key = sessionKey();
  ws.onclose = (ev) => {
    if (ev.code === SESSION_EXPIRED_CLOSE && !isLoggedOut()) showLogin(key);
  };
  ws.onmessage = (msg) => {
    const e = JSON.parse(msg.data);
    if (e.type !== 'logLines') return;
    const pre = $('#logs-lines');
    const q = $('#logs-search').value.toLowerCase();
    for (const l of e.lines) {
      logs.lines.push(l);
      pre.append(renderLine(l, q));
    }
    const extra = logs.lines.length - MAX_LOG_LINES;
    if (extra > 0) {
      logs.lines.splice(0, extra);
      for (let i = 0; i < extra; i++) pre.firstChild?.remove();
    }
    scrollLogs();
  };
}

$('#logs-search').addEventListener('input', redrawLogs);
$('#logs-close').addEventListener('click', () => {
  logs.ws?.close();
  logs.ws = null;
  $('#logs').hidden = true;
});
