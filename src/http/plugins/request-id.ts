import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const ACCEPTABLE_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The request id: the caller's `X-Service-Request-Id` (BlueXP) or `X-Request-Id` when it is a
 * sane token, otherwise a new UUID. Passed to Fastify as `genReqId`, so every log line carries it.
 */
export function requestIdOf(request: IncomingMessage): string {
  for (const name of ['x-service-request-id', 'x-request-id']) {
    const value = request.headers[name];
    if (typeof value === 'string' && ACCEPTABLE_ID.test(value)) return value;
  }
  return randomUUID();
}

/** Echoes the id on every response, under the header(s) the caller used. */
export const requestIdPlugin = fp(
  (app: FastifyInstance, _options: object, done: () => void) => {
    app.addHook('onSend', (request, reply, payload, next) => {
      reply.header('x-request-id', request.id);
      if (request.headers['x-service-request-id'] !== undefined) {
        reply.header('x-service-request-id', request.id);
      }
      next(null, payload);
    });
    done();
  },
  { name: 'entitle-request-id' },
);
