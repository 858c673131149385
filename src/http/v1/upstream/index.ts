import { Type } from 'typebox';
import {
  FetchOutcomeSchema,
  UpstreamLinkInputSchema,
  UpstreamStatusSchema,
} from '../../../domain/upstream.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams } from '../accounts/schemas.js';

const InstanceParams = Type.Object(
  { instanceId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
const tags = ['upstream'];

/** Federation: an account's upstream server, and fetching a host's licenses from it. */
export function upstreamRoutes(app: App, { services, clock }: RouteDeps): void {
  app.put(
    '/v1/accounts/:accountId/upstream',
    {
      schema: {
        tags,
        summary: "Point an account at its upstream (the vendor's Entitle)",
        description:
          "Operators, or an admin of the account. `token` is a service token of the upstream for this customer's account: stored, never shown again. Sets `settings.upstreamUrl`.",
        params: AccountParams,
        body: UpstreamLinkInputSchema,
        response: { 200: UpstreamStatusSchema, ...bodyProblems('forbidden', 'not-found') },
      },
    },
    (request) =>
      services.upstream.configure(
        contextOf(request, clock),
        request.params.accountId,
        request.body,
      ),
  );

  app.get(
    '/v1/accounts/:accountId/upstream',
    {
      schema: {
        tags,
        summary: "An account's upstream: URL, connectivity, last contact, circuit",
        params: AccountParams,
        response: {
          200: UpstreamStatusSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) => services.upstream.status(contextOf(request, clock), request.params.accountId),
  );

  app.delete(
    '/v1/accounts/:accountId/upstream',
    {
      schema: {
        tags,
        summary: 'Forget the upstream (URL, token and health)',
        params: AccountParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.upstream.remove(contextOf(request, clock), request.params.accountId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/instances/:instanceId/fetch',
    {
      schema: {
        tags,
        summary: 'Fetch the licenses the upstream issued for this host',
        description:
          "Asks the account's upstream for the licenses of the instance's host (by device serial), installs new ones on the instance and refreshes the others. An unreachable upstream is an answer (`contacted: false`), not an error; local validation never depends on it.",
        params: InstanceParams,
        response: {
          200: FetchOutcomeSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) => services.upstream.fetch(contextOf(request, clock), request.params.instanceId),
  );
}
