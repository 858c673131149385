import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../../domain/clock.js';
import { Unauthenticated } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { ServiceContext } from '../../services/context.js';
import type { TokenService } from '../../services/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No bearer token needed (health, metrics, docs, public keys). */
    public?: boolean;
    /**
     * How a facade reads its vendor's credentials (BlackBerry's scheme-less token, NetProfiler's
     * Basic and SignedBearer); absent: `bearerOf` and the token service.
     */
    credentials?: (request: FastifyRequest) => Promise<Principal>;
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
    // Failures are thrown, not sent: each surface's error handler answers them in its own format
    // (native problems, NetProfiler error ids, Astra problems…).
    app.addHook('onRequest', async (request) => {
      if (request.is404 || request.routeOptions.config.public === true) return;
      const custom = request.routeOptions.config.credentials;
      request.principal =
        custom === undefined
          ? await options.tokens.authenticate(bearerOf(request), options.clock)
          : await custom(request);
    });
    done();
  },
  { name: 'entitle-auth' },
);

/**
 * The token of a request: `Authorization: Bearer <token>`, or HP's `X-Auth-Token: <token>`.
 * No per-request child logger: events record the actor of every change.
 */
export function bearerOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) {
    const hpToken = request.headers['x-auth-token'];
    if (typeof hpToken === 'string' && hpToken.trim() !== '') return hpToken.trim();
    throw new Unauthenticated('The request is missing the required bearer token.', {
      missing: true,
    });
  }
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (match?.[1] === undefined)
    throw new Unauthenticated("The Authorization header must be 'Bearer <token>'.");
  return match[1];
}

/** The service context of an authenticated request. */
export function contextOf(request: FastifyRequest, clock: Clock): ServiceContext {
  if (request.principal === null) {
    // Only reachable if a route marked public calls a service that needs a caller.
    throw new Unauthenticated('The request is missing the required bearer token.');
  }
  return { principal: request.principal, requestId: request.id, clock };
}
