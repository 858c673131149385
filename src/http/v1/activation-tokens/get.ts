import { ActivationTokenSchema } from '../../../domain/activation-token.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ActivationTokenParams } from './schemas.js';

export function getActivationToken(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/activation-tokens/:tokenId',
    {
      schema: {
        tags: ['activation-tokens'],
        summary: 'Get an activation token',
        description: 'Never the token itself: only its `hint` (last four symbols) and its status.',
        params: ActivationTokenParams,
        response: {
          200: ActivationTokenSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) => services.activationTokens.get(contextOf(request, clock), request.params.tokenId),
  );
}
