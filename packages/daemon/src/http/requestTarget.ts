/** A request's path, normalised for routing, and its query string. */
export interface RequestTarget {
  /** Starts with `/`; runs of slashes merged, `.` and `..` segments resolved. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/** Segments the WHATWG URL parser reads as `.` and `..` (percent-encoded dots included). */
const DOT = new Set(['.', '%2e']);
const DOT_DOT = new Set(['..', '.%2e', '%2e.', '%2e%2e']);

/**
 * The request line's target (`req.url`) as a path and a query. It is read as a path (origin-form),
 * never resolved as a URL against a base: `new URL('//api/v1/x', base)` takes `api` for a host (and a
 * backslash for a slash) and routes what is left. As nginx does, runs of slashes are merged and dot
 * segments resolved (never above `/`); a trailing slash is kept. The absolute form
 * (`http://host/path`, which HTTP/1.1 servers must accept) contributes its path and query; anything
 * else (`*`) gets the path `*`, which no route has. Percent-encoding is left as sent.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget {
  let target = raw ?? '/';
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      target = url.pathname + url.search;
    } catch {
      return { path: '*', query: new URLSearchParams() };
    }
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const mark = target.indexOf('?');
  const rawPath = mark >= 0 ? target.slice(0, mark) : target;
  const query = new URLSearchParams(mark >= 0 ? target.slice(mark + 1) : '');
  if (!rawPath.startsWith('/')) return { path: '*', query };
  const segments: string[] = [];
  const parts = rawPath.split('/');
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const lower = part.toLowerCase();
    if (DOT_DOT.has(lower)) segments.pop();
    else if (part !== '' && !DOT.has(lower)) segments.push(part);
    // A trailing slash, or a final dot segment, leaves the path ending in a slash (as URLs resolve it).
    if (last && segments.length > 0 && (part === '' || DOT.has(lower) || DOT_DOT.has(lower))) {
      segments.push('');
    }
  }
  return { path: `/${segments.join('/')}`, query };
}
