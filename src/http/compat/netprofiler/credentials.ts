import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../domain/clock.js';
import { Unauthenticated } from '../../../domain/errors.js';
import { principalOfUser } from '../../../domain/user.js';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services/index.js';

/**
 * The caller of a NetProfiler route, by the schemes of Riverbed's common API: `Basic` (a local
 * user's name and password, checked like a login, then recognized without scrypt while the
 * stored password is unchanged), `Bearer` and `SignedBearer` (an Entitle token, e.g. from the
 * OAuth access-code exchange).
 */
export function netProfilerCredentials(services: Services, clock: Clock) {
  return async (request: FastifyRequest): Promise<Principal> => {
    const header = request.headers.authorization?.trim();
    if (header === undefined || header === '') {
      throw new Unauthenticated('Authentication required.', { missing: true });
    }
    const [scheme = '', ...rest] = header.split(/[ \t]+/);
    const value = rest.join(' ');
    switch (scheme.toLowerCase()) {
      case 'basic': {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 1) throw new Unauthenticated('Malformed Basic credentials.');
        const user = await services.users.authenticateRequest(
          {
            username: decoded.slice(0, colon),
            password: decoded.slice(colon + 1),
            address: request.ip,
          },
          clock,
        );
        return principalOfUser(user);
      }
      case 'bearer':
      case 'signedbearer':
        if (value === '' || rest.length !== 1) throw new Unauthenticated('Malformed token.');
        return services.tokens.authenticate(value, clock);
      default:
        throw new Unauthenticated(
          `Authentication scheme '${scheme}' is not supported; use Basic, Bearer or SignedBearer.`,
          { missing: true },
        );
    }
  };
}
