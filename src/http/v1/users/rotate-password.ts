import { PasswordRotationSchema, UserSchema } from '../../../domain/user.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { UserParams, withoutBodyQuotes } from './schemas.js';

export function rotatePassword(app: App, { services, clock }: RouteDeps): void {
  app.put(
    '/v1/users/:username/password',
    {
      schema: {
        tags: ['users'],
        summary: "Set a user's password",
        description:
          'Operators only. Every token the old password obtained through a vendor login is revoked.',
        params: UserParams,
        body: PasswordRotationSchema,
        response: { 200: UserSchema, ...bodyProblems('invalid-params', 'forbidden', 'not-found') },
      },
      errorHandler: withoutBodyQuotes,
    },
    (request) =>
      services.users.rotatePassword(
        contextOf(request, clock),
        request.params.username,
        request.body.password,
      ),
  );
}
