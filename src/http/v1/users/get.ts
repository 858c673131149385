import { UserSchema } from '../../../domain/user.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { UserParams } from './schemas.js';

export function getUser(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/users/:username',
    {
      schema: {
        tags: ['users'],
        summary: 'Get a local user',
        description: 'Operators only.',
        params: UserParams,
        response: { 200: UserSchema, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    (request) => services.users.get(contextOf(request, clock), request.params.username),
  );
}
