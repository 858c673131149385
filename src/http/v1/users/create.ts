import { UserInputSchema, UserSchema } from '../../../domain/user.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { withoutBodyQuotes } from './schemas.js';

export function createUser(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a local user',
        description:
          'Operators only. The user logs in through the vendor logins (HP, BlackBerry, NetProfiler) and gets a token with its account, role and instance. The password is hashed with scrypt and never returned.',
        body: UserInputSchema,
        response: { 201: UserSchema, ...bodyProblems('forbidden', 'conflict') },
      },
      errorHandler: withoutBodyQuotes,
    },
    async (request, reply) => {
      const user = await services.users.create(contextOf(request, clock), request.body);
      return reply
        .code(201)
        .header('location', `/v1/users/${encodeURIComponent(user.username)}`)
        .send(user);
    },
  );
}
