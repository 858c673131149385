import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../../store/database.js';

export interface MetricsOptions {
  store: Store;
}

/**
 * Prometheus metrics at `/metrics`: requests and latency by route, database transactions by use
 * case, and the process's own figures. Each app has its own registry (several apps per test run).
 */
export const metricsPlugin = fp(
  (app: FastifyInstance, options: MetricsOptions, done: () => void) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'entitle_' });
    const requests = new Counter({
      name: 'entitle_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'entitle_http_request_duration_seconds',
      help: 'Time from request to response, by method and route pattern.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const transactions = new Histogram({
      name: 'entitle_db_transaction_duration_seconds',
      help: 'Time each use case held its database transaction, by use case and outcome.',
      labelNames: ['use_case', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    new Gauge({
      name: 'entitle_db_transactions_in_flight',
      help: 'Database transactions open right now.',
      registers: [registry],
      collect() {
        this.set(options.store.transactionsInFlight());
      },
    });
    options.store.observeTransactions((useCase, seconds, outcome) => {
      transactions.observe({ use_case: useCase, outcome }, seconds);
    });

    app.addHook('onResponse', (request, reply, next) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      next();
    });

    app.get(
      '/metrics',
      {
        config: { public: true },
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          security: [],
          produces: ['text/plain'],
          response: { 200: { type: 'string', description: 'Prometheus text exposition format.' } },
        },
      },
      async (_request, reply) => {
        const text = await registry.metrics();
        return reply.type(registry.contentType).send(text);
      },
    );
    done();
  },
  { name: 'entitle-metrics' },
);
