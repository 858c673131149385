import { Type } from 'typebox';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

const RotationSchema = Type.Object(
  {
    kid: Type.String({
      description: 'The new current key: it signs every certificate from now on.',
    }),
    retired: Type.Array(Type.String(), {
      description:
        'Keys retired by this rotation; each stays published until its certificates expire.',
    }),
  },
  { title: 'KeyRotation' },
);

export function rotateKeys(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/keys/rotate',
    {
      schema: {
        tags: ['keys'],
        summary: 'Rotate the certificate signing key',
        description: 'Operators only. The same as `entitle keys rotate`.',
        response: { 201: RotationSchema, ...problems('forbidden') },
      },
    },
    async (request, reply) => {
      const rotation = await services.signingKeys.rotate(contextOf(request, clock));
      return reply.code(201).send(rotation);
    },
  );
}
