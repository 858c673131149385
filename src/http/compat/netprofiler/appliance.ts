import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../domain/clock.js';
import { Forbidden } from '../../../domain/errors.js';
import type { Instance } from '../../../domain/instance.js';
import type { ServiceContext } from '../../../services/context.js';
import type { Services } from '../../../services/index.js';
import { contextOf } from '../../plugins/auth.js';

/** The NetProfiler a request speaks to: the instance of its instance token. */
export interface Appliance {
  ctx: ServiceContext;
  instance: Instance;
}

/**
 * The licenses API is the appliance's own, so only a token bound to an instance has one to
 * manage; any other token is refused (403 `AUTH_FORBIDDEN`).
 */
export async function applianceOf(
  services: Services,
  request: FastifyRequest,
  clock: Clock,
): Promise<Appliance> {
  const ctx = contextOf(request, clock);
  const id = ctx.principal.instance;
  if (id === undefined)
    throw new Forbidden('This API manages one appliance: call it with an instance token.');
  return { ctx, instance: await services.instances.get(ctx, id) };
}
