import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from './problems.js';

/**
 * `dist/ui` at the repository root. This file is two levels below the root both as source
 * (`src/http/ui.ts`) and built (`dist/http/ui.js`), so one relative URL serves both.
 */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/**
 * A same-origin single-page app: scripts, styles, fonts and API calls from this origin only; no
 * inline script; images may be data: URIs (the chart library draws on a canvas). React and uPlot
 * set styles through the CSSOM, which `style-src 'self'` allows.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite puts content-hashed files under `assets/`: they never change under the same name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function cacheHeaders(
  response: { setHeader(name: string, value: string): unknown },
  path: string,
): void {
  const hashed = /[/\\]assets[/\\]/.test(path);
  response.setHeader('cache-control', hashed ? IMMUTABLE : 'no-cache');
}

/**
 * The dashboard at `/ui`: the files `npm run build` writes to `dist/ui`, `index.html` for every
 * other path under `/ui` (the app routes in the browser), never in the OpenAPI document, no token
 * needed (the app itself sends the user's token to `/v1`). Register it with `prefix: '/ui'`.
 * Without a build, `/ui` answers a 503 problem saying how to build it.
 */
export async function uiPlugin(app: FastifyInstance, options: { dir?: string }): Promise<void> {
  const dir = options.dir ?? DEFAULT_UI_DIR;

  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
    route.schema = { ...route.schema, hide: true };
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', UI_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
  });

  if (!existsSync(join(dir, 'index.html'))) {
    const unavailable = (request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(
        reply.header('cache-control', 'no-store'),
        problem(
          'unavailable',
          request.id,
          'The dashboard is not built: run `npm run build` (it writes dist/ui), then restart the server.',
        ),
      );
    app.get('/', unavailable);
    app.get('/*', unavailable);
    return;
  }

  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: false,
    cacheControl: false,
    setHeaders: cacheHeaders,
    serveDotFiles: false,
  });

  const sendIndex = (reply: FastifyReply) =>
    reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .sendFile('index.html', dir, { cacheControl: false });

  app.get('/', (_request, reply) => sendIndex(reply));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // A missing hashed asset is a real 404 (an HTML page would fail as a script); any other
    // path is a route of the app, which the browser resolves.
    if ((request.method === 'GET' || request.method === 'HEAD') && !/\/ui\/assets\//.test(path)) {
      return sendIndex(reply);
    }
    return sendProblem(
      reply,
      problem('route-not-found', request.id, `No file or route at ${request.method} ${path}.`),
    );
  });
}
