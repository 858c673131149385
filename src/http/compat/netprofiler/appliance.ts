import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../domain/clock.js';
import { Forbidden } from '../../../domain/errors.js';
import type { Services } from '../../../services/index.js';
import { callingInstance, type CallingInstance } from '../shared.js';

/** The NetProfiler a request speaks to: the instance of its instance token. */
export type Appliance = CallingInstance;

/**
 * The licenses API is the appliance's own, so only a token bound to an instance has one to
 * manage; any other token is refused (403 `AUTH_FORBIDDEN`).
 */
export function applianceOf(
  services: Services,
  request: FastifyRequest,
  clock: Clock,
): Promise<Appliance> {
  return callingInstance(
    services,
    request,
    clock,
    () => new Forbidden('This API manages one appliance: call it with an instance token.'),
  );
}
