import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../lib/metrics';

/**
 * Counts and times every answered request by its route's pattern (`/api/items/:id/:action`), so
 * the series stay a few hundred however many items there are; a path no route matches is counted
 * as `unmatched`, never by its URL.
 */
export function httpMetricsHook(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
}
