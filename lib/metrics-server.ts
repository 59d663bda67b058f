import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness';

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/**
 * The operator's port, apart from the API's public one: `GET /metrics` (Prometheus text: this
 * process's registry, followed by the Temporal SDK's own exporter when the process runs a worker,
 * so one scrape target per process), `GET /ready` (the same checks as the API's readiness) and
 * `GET /live`. Anything else is a 404.
 */
export async function startMetricsServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  /** The Temporal Runtime's Prometheus exporter on loopback (lib/temporal-runtime.ts), appended to /metrics. */
  sdkMetricsUrl?: string;
  ready?: () => Promise<Readiness>;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain; charset=utf-8', 'GET only\n');
    if (path === '/metrics') {
      void Promise.all([opts.registry.metrics(), opts.sdkMetricsUrl ? sdkMetrics(opts.sdkMetricsUrl) : ''])
        .then(([own, sdk]) => send(200, opts.registry.contentType, own + sdk))
        .catch((err: unknown) => send(500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`));
      return;
    }
    if (path === '/live') return send(200, 'application/json', '{"live":true}');
    if (path === '/ready' && opts.ready) {
      void opts
        .ready()
        .then((r) => send(r.ready ? 200 : 503, 'application/json', JSON.stringify(r)))
        .catch((err: unknown) => send(503, 'application/json', JSON.stringify({ ready: false, error: String(err) })));
      return;
    }
    send(404, 'text/plain; charset=utf-8', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `metrics address ${opts.host}:${opts.port} is in use: give this process its own METRICS_ADDRESS (host:port) or METRICS_ADDRESS=off`,
            )
          : err,
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The SDK exporter's text; a comment instead when it does not answer, so the process's own metrics still go out. */
async function sdkMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    return res.ok ? `\n${text}` : `\n# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
  } catch (err) {
    return `\n# Temporal SDK metrics unavailable: ${(err as Error).message.replace(/\n/g, ' ')}\n`;
  }
}
