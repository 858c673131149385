import { Type } from 'typebox';
import { problem, sendProblem } from './problems.js';
import { problems } from './schemas.js';
import type { App, RouteDeps } from './types.js';

const Status = Type.Object({ status: Type.String() });

/** `/healthz`: the process answers. `/readyz`: and its database does too. */
export function healthRoutes(app: App, { services }: RouteDeps): void {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        security: [],
        response: { 200: Status },
      },
    },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database is reachable',
        security: [],
        response: { 200: Status, 503: problems('unavailable')[503] },
      },
    },
    async (request, reply) => {
      try {
        await services.store.ping();
        return { status: 'ready' };
      } catch (error) {
        request.log.error({ err: error }, 'readiness check failed');
        return sendProblem(
          reply,
          problem('unavailable', request.id, 'The database is not reachable.'),
        );
      }
    },
  );
}
