import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../../domain/clock.js';
import { Unauthenticated } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { ServiceContext } from '../../services/context.js';
import type { TokenService } from '../../services/tokens.js';
import { problem, sendProblem } from '../problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No bearer token needed (health, metrics, docs, public keys). */
    public?: boolean;
  }
}

export interface AuthOptions {
  tokens: TokenService;
  clock: Clock;
}

/** Verifies the bearer token of every non-public route before anything else runs. */
export const authPlugin = fp(
  (app: FastifyInstance, options: AuthOptions, done: () => void) => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request, reply) => {
      if (request.is404 || request.routeOptions.config.public === true) return;
      const header = request.headers.authorization;
      const match = header === undefined ? null : /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
      if (match?.[1] === undefined) {
        reply.header('www-authenticate', 'Bearer realm="entitle"');
        const detail =
          header === undefined
            ? 'The request is missing the required bearer token.'
            : "The Authorization header must be 'Bearer <token>'.";
        return sendProblem(
          reply,
          problem(header === undefined ? 'missing-token' : 'invalid-token', request.id, detail),
        );
      }
      try {
        // No per-request child logger: it costs more than the rest of the hook. Events record the
        // actor of every change, and unexpected errors are logged with the principal.
        request.principal = await options.tokens.authenticate(match[1], options.clock);
      } catch (error) {
        if (!(error instanceof Unauthenticated)) throw error;
        reply.header('www-authenticate', `Bearer realm="entitle", error="invalid_token"`);
        return sendProblem(reply, problem('invalid-token', request.id, error.message));
      }
      return undefined;
    });
    done();
  },
  { name: 'entitle-auth' },
);

/** The service context of an authenticated request. */
export function contextOf(request: FastifyRequest, clock: Clock): ServiceContext {
  if (request.principal === null) {
    // Only reachable if a route marked public calls a service that needs a caller.
    throw new Unauthenticated('The request is missing the required bearer token.');
  }
  return { principal: request.principal, requestId: request.id, clock };
}
