import { Type } from 'typebox';
import { MAX_CERTIFICATE_TTL_SECONDS } from '../../../services/licenses.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { LicenseParams } from './schemas.js';

export function certificateRoute(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/licenses/:license/certificate',
    {
      schema: {
        tags: ['licenses'],
        summary: 'A signed certificate of the license, for offline use',
        description:
          'JWS (EdDSA) over the license claims, verified with the keys of GET /v1/keys; see docs/certificates.md. Bound to an instance when one is named (it must be activated there). Expires after `ttl` seconds (default 7 days), never after the license.',
        params: LicenseParams,
        querystring: Type.Object(
          {
            instance: Type.Optional(Type.String({ format: 'uuid' })),
            ttl: Type.Optional(
              Type.String({
                pattern: '^\\d{1,9}$',
                description: `Seconds, 60 to ${String(MAX_CERTIFICATE_TTL_SECONDS)}.`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            certificate: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
          }),
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict', 'license-not-usable'),
        },
      },
    },
    async (request, reply) => {
      const ttl =
        request.query.ttl === undefined ? undefined : Math.max(60, Number(request.query.ttl));
      const issued = await services.licenses.certificate(
        contextOf(request, clock),
        request.params.license,
        request.query.instance,
        ttl,
      );
      return reply.header('cache-control', 'no-store').send(issued);
    },
  );
}
