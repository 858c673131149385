import { ActivationTokenSchema } from '../../../domain/activation-token.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ActivationTokenParams } from './schemas.js';

export function revokeActivationToken(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/activation-tokens/:tokenId/revoke',
    {
      schema: {
        tags: ['activation-tokens'],
        summary: 'Revoke an activation token',
        description: 'Operators only; a token already redeemed or revoked is a 400.',
        params: ActivationTokenParams,
        response: {
          200: ActivationTokenSchema,
          ...problems('invalid-params', 'invalid-fields', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.activationTokens.revoke(contextOf(request, clock), request.params.tokenId),
  );
}
