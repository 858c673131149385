import { contextOf } from '../../plugins/auth.js';
import { NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { UserParams } from './schemas.js';

export function deleteUser(app: App, { services, clock }: RouteDeps): void {
  app.delete(
    '/v1/users/:username',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a local user',
        description:
          'Operators only. Its access codes go with it and its login tokens are revoked.',
        params: UserParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.users.remove(contextOf(request, clock), request.params.username);
      return reply.code(204).send(null);
    },
  );
}
