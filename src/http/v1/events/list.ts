import { Type } from 'typebox';
import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, listOf, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';

export const EventSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  type: Type.String({ examples: ['account.created'] }),
  actor: Type.String({ description: "The token's subject." }),
  actorRole: Type.String(),
  accountId: Type.Union([Type.String(), Type.Null()]),
  resourceType: Type.String(),
  resourceId: Type.String(),
  summary: Type.Union([
    Type.Object({ before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) }),
    Type.Null(),
  ]),
  requestId: Type.Union([Type.String(), Type.Null()]),
});

export function listEvents(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'List events (audit log)',
        description:
          'Newest first by default. Operators see every event; others see the events of their accounts.',
        querystring: ListQuerySchema,
        response: {
          200: listOf(EventSchema, 'EventList'),
          ...problems('invalid-params', 'forbidden'),
        },
      },
    },
    async (request) => {
      const page = await services.events.list(contextOf(request, clock), request.query);
      return listBody(page, request.query.include);
    },
  );
}
