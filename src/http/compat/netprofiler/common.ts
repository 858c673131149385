import { Type } from 'typebox';
import { InvalidFields } from '../../../domain/errors.js';
import { accessCodeOfAssertion, InvalidCredentials } from '../../../domain/user.js';
import type { App, RouteDeps } from '../../types.js';
import { handleNetProfilerError, netProfilerNotFound } from './errors.js';
import { NETPROFILER_PREFIX } from './index.js';
import { NpErrorSchema } from './schemas.js';

/** Riverbed's common API, beside `mgmt.licenses`: the OAuth exchange and service discovery. */
export const NETPROFILER_COMMON_PREFIX = '/api/common';

export const OAuthTokenRequestSchema = Type.Object(
  {
    grant_type: Type.String({ description: 'Always `access_code`.' }),
    assertion: Type.String({
      maxLength: 2048,
      description: 'base64url(`{"alg":"none"}`) + `.` + access code + `.`',
    }),
    state: Type.Optional(Type.String({ maxLength: 512, description: 'Echoed in the answer.' })),
  },
  { additionalProperties: false },
);

export const OAuthTokenSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds.' }),
    state: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ServiceListSchema = Type.Array(
  Type.Object(
    { id: Type.String(), versions: Type.Array(Type.String()) },
    { additionalProperties: false },
  ),
);

/** The services a NetProfiler client may discover here, with their versions. */
export const SERVICES = [
  { id: 'common', versions: ['1.0', '1.1'] },
  { id: 'mgmt.licenses', versions: ['1.0'] },
];

const errors = { 400: NpErrorSchema, 401: NpErrorSchema, 429: NpErrorSchema };
const tags = ['NetProfiler licenses'];

/**
 * `POST /api/common/1.0/oauth/token` and `GET /api/common/1.1/services`, with NetProfiler's error
 * shape. Register with `{ prefix: NETPROFILER_COMMON_PREFIX }`.
 */
export function netProfilerCommon({ services, clock }: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    app.setErrorHandler(handleNetProfilerError);
    app.setNotFoundHandler(netProfilerNotFound(app));
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body: string, parsed: (error: null, value: Record<string, string>) => void) => {
        parsed(null, Object.fromEntries(new URLSearchParams(body)));
      },
    );

    app.post(
      '/1.0/oauth/token',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'NetProfiler: get an access token (OAuth access code)',
          description:
            'Form-encoded `grant_type=access_code`, `assertion` (the access code in an unsigned ' +
            'envelope) and `state`. The access code is the secret; the envelope is not a token ' +
            'and Entitle tokens with `alg: none` are still refused.',
          body: OAuthTokenRequestSchema,
          response: { 200: OAuthTokenSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { grant_type: grantType, assertion, state } = request.body;
        if (grantType !== 'access_code') {
          throw new InvalidFields([{ name: 'grant_type', reason: "must be 'access_code'" }]);
        }
        const code = accessCodeOfAssertion(assertion);
        if (code === null) throw new InvalidCredentials('The assertion is not an access code.');
        const login = await services.users.exchangeAccessCode(code, request.ip, clock, request.id);
        const expiresIn = Math.round(
          (new Date(login.token.expiresAt).getTime() - clock.now().getTime()) / 1000,
        );
        return reply.header('cache-control', 'no-store').send({
          access_token: login.token.token,
          token_type: 'bearer' as const,
          expires_in: expiresIn,
          ...(state === undefined ? {} : { state }),
        });
      },
    );

    app.get(
      '/1.1/services',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'NetProfiler: list services and versions',
          description: `Service discovery for clients; \`mgmt.licenses\` 1.0 is at ${NETPROFILER_PREFIX}.`,
          response: { 200: ServiceListSchema },
        },
      },
      () => SERVICES,
    );
    done();
  };
}
