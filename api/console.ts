import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../lib/root';

/** Where `npm run build:console` (run by setup) writes the console. */
export const CONSOLE_DIST = path.join(ROOT, 'console', 'dist');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The console's own scripts and styles only; ECharts styles its canvas inline. Frames only of
 * blob: URLs: an evidence PDF, fetched with the token and shown in the browser's viewer
 * (console/src/files.tsx); such a document inherits this policy, so it can run no script.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-src blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>督查督办</title><p>控制台尚未构建，请先运行 <code>npm run build:console</code>（./scripts/setup.sh 会自动构建）。</p></html>`;

/**
 * Whether a URL names something under /api once its spelling is undone: percent-escapes (also
 * of "/"), backslashes, repeated slashes, "." and ".." segments, ";" parameters, NULs, letter
 * case and full-width letters. Any segment counts ("//host/api/…", "/x/../api/…"): no console
 * page has a segment called api.
 */
export function isApiPath(url: string): boolean {
  return pathSegments(url).includes('api');
}

/** Paths a scraper or a probe asks by habit; the console has no page under any of them. */
const PROBE_NAMES = new Set(['metrics', 'ready', 'readyz', 'live', 'livez', 'health', 'healthz']);

/**
 * Whether the console's catch-all must answer 404 rather than its page: a probe's or a scraper's
 * path, however spelt ("/METRICS.", "/metrics%2e", "/healthz.txt": the first segment's name before
 * any dot), so that a probe misdirected at the public port never reads 200 (the metrics and the
 * readiness are on the operator's port, lib/metrics-server.ts, and at /api/health/*); and any
 * path with a "." or ".." segment ("/x/../metrics", "/%2e%2e/ready"), which no link to the
 * console ever has.
 */
export function isNotConsolePath(url: string): boolean {
  const segments = pathSegments(url);
  if (segments.some((s) => s === '.' || s === '..')) return true;
  const first = segments.find((s) => s !== '');
  return first !== undefined && PROBE_NAMES.has(first.split('.')[0] ?? '');
}

/** A URL's path segments once its spelling is undone (see isApiPath). */
function pathSegments(url: string): string[] {
  let path = url.split('?')[0] ?? '';
  for (let i = 0; i < 3; i++) {
    try {
      const decoded = decodeURIComponent(path);
      if (decoded === path) break;
      path = decoded;
    } catch {
      break;
    }
  }
  return path
    .normalize('NFKC')
    .replace(/\\/g, '/')
    .replace(/\u0000/g, '')
    .split('/')
    .map((s) => s.split(';')[0]?.trim().toLowerCase() ?? '');
}

/**
 * Serves the web console from the same origin as the API (so no CORS is ever needed): hashed
 * assets cached for good, and index.html for every other path outside /api, where the console's
 * router takes over (/items/<id> and /cycles/<id> are the links mails carry).
 */
export async function consoleRoutes(app: FastifyInstance, opts: { dist?: string } = {}) {
  const dist = opts.dist ?? CONSOLE_DIST;
  const assets = path.join(dist, 'assets');

  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      const file = request.params.file;
      const type = TYPES[path.extname(file)];
      if (!/^[\w.-]+$/.test(file) || !type || !existsSync(path.join(assets, file)))
        return reply.status(404).type('text/plain; charset=utf-8').send('没有这个文件');
      const gz = path.join(assets, `${file}.gz`);
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) && existsSync(gz);
      if (gzip) reply.header('content-encoding', 'gzip');
      return reply
        .header('content-type', type)
        .header('vary', 'accept-encoding')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('content-security-policy', CONSOLE_CSP)
        .send(await readFile(gzip ? gz : path.join(assets, file)));
    },
  );

  app.get('/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    // An unknown API path, however spelt, gets the API's own 404, not the console.
    if (isApiPath(request.url) || isNotConsolePath(request.url)) return reply.callNotFound();
    const index = path.join(dist, 'index.html');
    const html = existsSync(index) ? await readFile(index, 'utf8') : NOT_BUILT;
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', CONSOLE_CSP)
      .send(html);
  });
}
