import { DAEMON_VERSION } from '../version.js';
import type { Route, Schema } from './routeTable.js';
import { SCHEMAS } from './schemas.js';

/** The path of the OpenAPI document. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

function operation(route: Route): Schema {
  const { doc } = route;
  const parameters = Object.entries(doc.query ?? {}).map(([name, p]) => ({
    name,
    in: 'query',
    required: false,
    description: p.description,
    schema: p.schema,
  }));
  const responses = Object.fromEntries(
    Object.entries(doc.responses).map(([status, r]) => [
      status,
      {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
        ...(r.html ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
      },
    ]),
  );
  const body = doc.body
    ? {
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: Object.fromEntries(
                  Object.entries(doc.body).map(([k, f]) => [k, { ...f.schema, description: f.description }]),
                ),
              },
            },
          },
        },
      }
    : {};
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(route.websocket ? { 'x-websocket': true } : {}),
    ...(route.auth === 'none'
      ? { security: [] }
      : route.auth === 'bearer'
        ? { security: [{ bearer: [] }] }
        : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...body,
    responses,
  };
}

/**
 * The OpenAPI 3.0 document of every route in `routes`, built from the routes themselves (their
 * `doc`), so it cannot leave one out; `openapi.test.ts` checks the router and the document agree.
 */
export function openApiDocument(routes: readonly Route[]): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  // The login link and the dashboard's static files: what a browser needs before it has a session.
  const open = routes
    .filter((r) => r.auth === 'none')
    .map((r) => r.path)
    .join(', ');
  return {
    openapi: '3.0.3',
    info: {
      title: 'Kepler daemon API',
      version: DAEMON_VERSION,
      description: `The HTTP API of the Kepler daemon: the same operations as its Unix socket. Every route but ${open} needs \`Authorization: Bearer <token>\` (the token is in the state directory, \`http.token\`) or a browser session: \`Authorization: Session <key>\` (a WebSocket: subprotocol \`kepler-session.<key>\`), the key the login link gives the dashboard page. No cookie is accepted.`,
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            "`Session <key>`: the dashboard page's key, from the login link (a WebSocket sends subprotocol `kepler-session.<key>` instead)",
        },
      },
      schemas: SCHEMAS,
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
