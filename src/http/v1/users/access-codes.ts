import { AccessCodeSchema } from '../../../domain/user.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccessCodeList, AccessCodeParams, IssuedAccessCodeSchema, UserParams } from './schemas.js';

/** A user's NetProfiler OAuth access codes: issue (shown once), list, revoke. */
export function accessCodeRoutes(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/users/:username/access-codes',
    {
      schema: {
        tags: ['users'],
        summary: 'Issue a NetProfiler access code',
        description:
          'Operators only. The code is shown in this answer only (its hash is stored); a NetProfiler client exchanges it at `POST /api/common/1.0/oauth/token`.',
        params: UserParams,
        response: {
          201: IssuedAccessCodeSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    async (request, reply) => {
      const issued = await services.users.issueAccessCode(
        contextOf(request, clock),
        request.params.username,
      );
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );

  app.get(
    '/v1/users/:username/access-codes',
    {
      schema: {
        tags: ['users'],
        summary: "List a user's access codes",
        description: 'Operators only. Codes themselves are never shown again: only their hint.',
        params: UserParams,
        response: {
          200: AccessCodeList,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.users.listAccessCodes(
        contextOf(request, clock),
        request.params.username,
      ),
    }),
  );

  app.post(
    '/v1/users/:username/access-codes/:codeId/revoke',
    {
      schema: {
        tags: ['users'],
        summary: 'Revoke an access code',
        description: 'Operators only. Tokens it already yielded live until they expire.',
        params: AccessCodeParams,
        response: {
          200: AccessCodeSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.users.revokeAccessCode(
        contextOf(request, clock),
        request.params.username,
        request.params.codeId,
      ),
  );
}
