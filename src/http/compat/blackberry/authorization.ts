import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Clock } from '../../../domain/clock.js';
import { InvalidFields, Unauthenticated } from '../../../domain/errors.js';
import { InvalidCredentials } from '../../../domain/user.js';
import type { Principal } from '../../../domain/principal.js';
import type { TokenService } from '../../../services/tokens.js';
import type { App, RouteDeps } from '../../types.js';
import { BlackBerryErrorSchema, TenantParams } from './schemas.js';

/** The media type of UEM's authorization request. */
export const AUTHORIZATION_REQUEST_MEDIA_TYPE =
  'application/vnd.blackberry.authorizationrequest-v1+json';

/** The identity providers UEM names; Entitle checks both against its local users. */
export const PROVIDERS = ['LOCAL', 'AD'] as const;

export const AuthorizationRequestSchema = Type.Object(
  {
    // Any string: an unknown provider is a failed login (401), not a malformed request.
    provider: Type.String({ maxLength: 64, examples: ['LOCAL'] }),
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({
      minLength: 1,
      maxLength: 400,
      description: 'Base64 of the UTF-8 password.',
    }),
    domain: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { description: 'UEM `util/authorization` body.' },
);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The token of a BlackBerry request: UEM clients send `Authorization: <token>` with no scheme;
 * `Bearer <token>` (and `X-Auth-Token`) are accepted as well. Any other scheme is refused.
 */
export function blackBerryToken(request: FastifyRequest): string {
  const header = request.headers.authorization?.trim();
  if (header === undefined || header === '') {
    // As on every Entitle route, `X-Auth-Token` stands in for a missing Authorization header.
    const other = request.headers['x-auth-token'];
    if (typeof other === 'string' && other.trim() !== '') return other.trim();
    throw new Unauthenticated('The request is missing the required bearer token.', {
      missing: true,
    });
  }
  const bearer = /^Bearer[ \t]+(\S+)$/i.exec(header);
  if (bearer?.[1] !== undefined) return bearer[1];
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(header)) return header;
  throw new Unauthenticated("The Authorization header must be '<token>' or 'Bearer <token>'.");
}

/** The `credentials` reader of the BlackBerry routes. */
export function blackBerryCredentials(tokens: TokenService, clock: Clock) {
  return (request: FastifyRequest): Promise<Principal> =>
    tokens.authenticate(blackBerryToken(request), clock);
}

/**
 * `POST /{tenantGuid}/api/v1/util/authorization`: a local user of the tenant logs in; the answer
 * is the token itself as the raw body, to send as `Authorization` on every later request.
 */
export function authorizationRoutes(app: App, { services, clock }: RouteDeps): void {
  const asJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(AUTHORIZATION_REQUEST_MEDIA_TYPE, { parseAs: 'string' }, asJson);
  app.post(
    '/util/authorization',
    {
      config: { public: true },
      schema: {
        tags: ['blackberry'],
        summary: 'BlackBerry UEM: log in',
        description: `Body as ${AUTHORIZATION_REQUEST_MEDIA_TYPE} (or JSON); password base64-encoded. 200: the raw body is the token. Unknown provider or bad credentials: 401; too many failures: 429.`,
        params: TenantParams,
        body: AuthorizationRequestSchema,
        response: {
          200: Type.String({ description: 'The token, as the raw body (text/plain).' }),
          400: BlackBerryErrorSchema,
          401: BlackBerryErrorSchema,
          429: BlackBerryErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!(PROVIDERS as readonly string[]).includes(body.provider)) {
        throw new InvalidCredentials(`Unknown provider '${body.provider}'; use LOCAL or AD.`);
      }
      if (!BASE64.test(body.password)) {
        throw new InvalidFields([{ name: 'password', reason: 'must be base64 of the password' }]);
      }
      const password = Buffer.from(body.password, 'base64').toString('utf8');
      // A user of another tenant has no account here: the same answer as a wrong password.
      const login = await services.users.login(
        {
          username: body.username,
          password,
          address: request.ip,
          account: request.params.tenantGuid,
        },
        clock,
        request.id,
      );
      return reply.type('text/plain').header('cache-control', 'no-store').send(login.token.token);
    },
  );
}
