import { RedeemRequestSchema } from '../../../domain/activation-token.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { RedemptionSchema } from './schemas.js';

export function redeemActivationToken(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/activation-tokens/redeem',
    {
      schema: {
        tags: ['activation-tokens'],
        summary: 'Redeem an activation token',
        description:
          "An instance token (its licenses are installed on it), or an admin, service or operator naming `instance` or `accountId`. Once only: an unknown, used, expired, revoked or another account's token is a 400 `Invalid token <token>` naming `token`.",
        body: RedeemRequestSchema,
        response: { 201: RedemptionSchema, ...bodyProblems('forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      const redemption = await services.activationTokens.redeem(
        contextOf(request, clock),
        request.body,
      );
      return reply.code(201).send(redemption);
    },
  );
}
