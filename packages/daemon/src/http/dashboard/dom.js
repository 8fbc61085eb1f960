// DOM helpers shared by the dashboard's modules.

export const $ = (sel) => document.querySelector(sel);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

// A refresh touches only what changed: a node moved out and back, or text rewritten, loses the
// focus (a keyboard user's place) and any selection (a pid or reason being copied).
export function setChildren(parent, nodes) {
  const kids = parent.childNodes;
  if (kids.length === nodes.length && nodes.every((n, i) => kids[i] === n)) return;
  parent.replaceChildren(...nodes);
}

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** The WebSocket URL of an API path on this page's own origin. */
export function wsUrl(path) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}
