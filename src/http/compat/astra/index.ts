import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { App, RouteDeps } from '../../types.js';
import { createSubscription } from './create.js';
import { deleteSubscription } from './delete.js';
import { getSubscription } from './get.js';
import { listSubscriptions } from './list.js';
import { astraNotFound, handleAstraError } from './problems.js';
import { replaceSubscription } from './replace.js';

/** Where the Astra subscription API (reference 002) is mounted. */
export const ASTRA_PREFIX = '/accounts/:account_id/core/v1';

/**
 * The NetApp Astra subscription facade: one encapsulated plugin under `ASTRA_PREFIX` with its own
 * error and not-found handlers, so that every failure under the prefix is an Astra problem.
 */
export async function registerAstra(app: App, deps: RouteDeps): Promise<void> {
  await app.register(
    (instance: FastifyInstance, _options, done) => {
      const astra = instance.withTypeProvider<TypeBoxTypeProvider>();
      astra.setErrorHandler(handleAstraError);
      astra.setNotFoundHandler(astraNotFound(astra));
      createSubscription(astra, deps);
      listSubscriptions(astra, deps);
      getSubscription(astra, deps);
      replaceSubscription(astra, deps);
      deleteSubscription(astra, deps);
      done();
    },
    { prefix: ASTRA_PREFIX },
  );
}
