import { ActivationTokenIssueSchema } from '../../../domain/activation-token.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { IssuedActivationTokenSchema } from './schemas.js';

export function issueActivationToken(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/activation-tokens',
    {
      schema: {
        tags: ['activation-tokens'],
        summary: 'Issue a one-time activation token',
        description:
          "Operators only. The token (`token`) is shown in this answer only; redeeming it once issues `count` licenses shaped by `license` into the redeemer's account. `accountId` restricts who may redeem it.",
        body: ActivationTokenIssueSchema,
        response: { 201: IssuedActivationTokenSchema, ...bodyProblems('forbidden') },
      },
    },
    async (request, reply) => {
      const issued = await services.activationTokens.issue(contextOf(request, clock), request.body);
      return reply.code(201).header('location', `/v1/activation-tokens/${issued.id}`).send(issued);
    },
  );
}
