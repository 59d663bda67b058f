/**
 * The process's Prometheus metrics (prom-client: the Node client Prometheus lists, text format
 * 0.0.4, histograms and async collectors without a dependency tree of its own). Served on a port
 * of their own (lib/metrics-server.ts), never on the API's public one.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from './config';
import type { Db } from './db';
import { readProductFigures, type ProductFigures } from './product-figures';

/** Which process: each kind has its own default port, so an API and a worker on one host do not collide. */
export type ProcessKind = 'api' | 'worker' | 'embedded';

/** The default ports: 9464 is the usual Prometheus exporter port; the embedded default serves everything on the API's. */
export const DEFAULT_METRICS_PORTS: Record<ProcessKind, number> = { api: 9464, worker: 9465, embedded: 9464 };

/** Where this process serves its metrics: `METRICS_ADDRESS`, else loopback on its kind's port; null when off. */
export function metricsAddress(config: Config, kind: ProcessKind): { host: string; port: number } | null {
  const address = config.METRICS_ADDRESS ?? `127.0.0.1:${DEFAULT_METRICS_PORTS[kind]}`;
  if (address === 'off') return null;
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

export interface HttpMetrics {
  /** One finished request: `route` is the route's pattern (`/api/items/:id/:action`), never the raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** Latency buckets up to the API's 15 s Temporal timeout: most answers are tens of milliseconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** A registry with the process's own figures: CPU, memory, event loop lag, handles (prom-client's defaults). */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The API's request counter and latency histogram, in `registry`. */
export function registerHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'duban_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'duban_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to answering it, by method, route pattern and status',
    labelNames,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  return {
    observe(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}

/**
 * The product's gauges, computed from PostgreSQL when scraped (one set of queries per scrape,
 * shared by the gauges of that scrape). A scrape while the database is down leaves them out
 * rather than failing the whole scrape: the HTTP and SDK metrics still say what happens.
 */
export function registerProductGauges(registry: Registry, db: Db): void {
  let cached: { at: number; figures: Promise<ProductFigures | null> } | undefined;
  const figures = () => {
    if (!cached || Date.now() - cached.at > 1000)
      cached = { at: Date.now(), figures: readProductFigures(db).catch(() => null) };
    return cached.figures;
  };
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, f: ProductFigures) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const f = await figures();
        if (f) fill(this, f);
      },
    });
  gauge(
    'duban_product_figures_up',
    'Whether the product gauges below could be read from PostgreSQL in this scrape (when 0 they read 0)',
    [],
    (g) => g.set(1),
  );
  gauge('duban_items_open', 'Open items (not closed or withdrawn) by status and light', ['status', 'light'], (g, f) => {
    for (const row of f.openItems) g.set({ status: row.status, light: row.light }, row.n);
  });
  gauge('duban_items_attention', 'Items flagged as needing attention (需关注)', [], (g, f) => g.set(f.attention));
  gauge('duban_notification_requests_pending', 'Notification requests not yet expanded into messages', [], (g, f) =>
    g.set(f.requestsPending),
  );
  gauge(
    'duban_notification_request_oldest_pending_seconds',
    'Age of the oldest notification request not yet expanded (0 when none)',
    [],
    (g, f) => g.set(f.oldestRequestSeconds ?? 0),
  );
  gauge(
    'duban_outbox_messages',
    'Outbox messages still to send (pending, sending, digest) or given up on (failed), by status',
    ['status'],
    (g, f) => {
      for (const status of ['pending', 'sending', 'digest', 'failed']) g.set({ status }, 0);
      for (const row of f.outbox) g.set({ status: row.status }, row.n);
    },
  );
  gauge(
    'duban_outbox_oldest_pending_seconds',
    'Age of the oldest message waiting to be sent (0 when none)',
    [],
    (g, f) => g.set(f.oldestMessageSeconds ?? 0),
  );
  gauge(
    'duban_reconciliation_last_finished_timestamp_seconds',
    'When the last reconciliation run finished (Unix time; 0 before the first)',
    [],
    (g, f) => {
      if (f.reconciliation?.lastFinished) g.set(f.reconciliation.lastFinished.getTime() / 1000);
    },
  );
  gauge('duban_reconciliation_open_findings', 'Reconciliation findings not resolved yet', [], (g, f) => {
    if (f.reconciliation) g.set(f.reconciliation.openFindings);
  });
}
