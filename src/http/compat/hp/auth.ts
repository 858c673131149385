import { Type, type Static } from 'typebox';
import { NoContent } from '../../schemas.js';
import { contextOf, bearerOf } from '../../plugins/auth.js';
import type { App, RouteDeps } from '../../types.js';
import { hpErrorResponses } from './controller.js';
import { hpSurface } from './errors.js';

/** Where HP clients log in and out. */
export const HP_AUTH_PATH = '/sdn/v2.0/auth';

/** The domain a login names when it names none (the controller's default). */
export const HP_DEFAULT_DOMAIN = 'sdn';

export const HpLoginSchema = Type.Object(
  {
    login: Type.Object({
      user: Type.String({ minLength: 1, maxLength: 64 }),
      password: Type.String({ minLength: 1, maxLength: 256 }),
      domain: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    }),
  },
  { description: 'The controller\'s login body: `{"login": {"user", "password", "domain"}}`.' },
);
export type HpLogin = Static<typeof HpLoginSchema>;

export const HpAuthRecordSchema = Type.Object(
  {
    record: Type.Object(
      {
        token: Type.String({ description: 'Send it as `X-Auth-Token` on every later request.' }),
        expiration: Type.Integer({ description: 'When the token expires, epoch milliseconds.' }),
        userName: Type.String(),
        domain: Type.String(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const TAGS = ['compat: HP VAN SDN'];

/**
 * `POST /sdn/v2.0/auth` (log in) and `DELETE /sdn/v2.0/auth` (log out: the token stops working
 * at once). Register with `{ prefix: HP_AUTH_PATH }`; errors in HP's `{"error", "message"}`.
 */
export function hpAuthFacade({ services, clock }: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    hpSurface(app);

    app.post(
      '',
      {
        config: { public: true },
        schema: {
          tags: TAGS,
          summary: 'Log in (HP VAN SDN)',
          description:
            "Checks a local user's password and answers a token to send as `X-Auth-Token`. " +
            'Failed logins are limited per user and per address (429 with `Retry-After`).',
          body: HpLoginSchema,
          response: { 200: HpAuthRecordSchema, ...hpErrorResponses(400, 401, 503) },
        },
      },
      async (request) => {
        const { user, password, domain } = request.body.login;
        const login = await services.users.login(
          { username: user, password, address: request.ip },
          clock,
          request.id,
        );
        return {
          record: {
            token: login.token.token,
            expiration: new Date(login.token.expiresAt).getTime(),
            userName: login.user.username,
            domain: domain ?? HP_DEFAULT_DOMAIN,
          },
        };
      },
    );

    app.delete(
      '',
      {
        schema: {
          tags: TAGS,
          summary: 'Log out (HP VAN SDN)',
          description: 'Revokes the `X-Auth-Token` of the request: it stops working at once.',
          response: { 204: NoContent, ...hpErrorResponses(401, 503) },
        },
      },
      async (request, reply) => {
        await services.users.logout(contextOf(request, clock), bearerOf(request));
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
