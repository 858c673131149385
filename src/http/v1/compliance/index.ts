import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AccountId } from '../../../domain/account.js';
import {
  AccountComplianceSchema,
  MetricComplianceSchema,
  type AccountCompliance,
} from '../../../domain/compliance.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

const AccountParams = Type.Object({ accountId: AccountId }, { additionalProperties: false });
const MetricParams = Type.Object(
  {
    accountId: AccountId,
    product: Type.String({
      pattern: '^([0-9]{1,10}|[a-z0-9][a-z0-9-]{0,63})$',
      description: 'Product id or slug.',
    }),
    metric: Type.String({ pattern: '^\\d{1,9}$' }),
  },
  { additionalProperties: false },
);

/** The compliance summary: licenses, subscriptions and usage side by side. */
export function complianceRoutes(app: App, { services, clock }: RouteDeps): void {
  /** Summaries already serialized, by identity: dropped with the summary. */
  const serialized = new WeakMap<AccountCompliance, ReturnType<FastifyReply['serialize']>>();
  app.get(
    '/v1/accounts/:accountId/compliance',
    {
      schema: {
        tags: ['compliance'],
        summary: "An account's compliance",
        description:
          'Per product and metric: entitled (valid licenses and active subscriptions), used (latest gauges and this month’s deltas), level, grace, trial, expiry reminders and status lines; unlicensed feature usage with suggested products; an overall status VALID, WARNING or NON_COMPLIANT.',
        params: AccountParams,
        response: { 200: AccountComplianceSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    async (request, reply) => {
      const summary = await services.compliance.account(
        contextOf(request, clock),
        request.params.accountId,
      );
      // The service answers a cached summary again (the same frozen object) while nothing it was
      // read from changed: its JSON (megabytes for 10,000 licenses) is written once, too.
      let body = serialized.get(summary);
      if (body === undefined) {
        const text = reply.serialize(summary);
        body = typeof text === 'string' ? Buffer.from(text) : text;
        serialized.set(summary, body);
      }
      // Already JSON, and encoded: with a JSON content type, Fastify sends the bytes as they are.
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(body);
    },
  );
  app.get(
    '/v1/accounts/:accountId/compliance/groups',
    {
      schema: {
        tags: ['compliance'],
        summary: "Each group's compliance",
        description:
          'Per group (BlackBerry group licensing), the compliance of the licenses assigned to it: entitlement only, since usage is recorded per account and instance.',
        params: AccountParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                guid: Type.String({ format: 'uuid' }),
                compliance: AccountComplianceSchema,
              }),
            ),
          }),
          ...problems('invalid-params', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.compliance.groups(contextOf(request, clock), request.params.accountId),
    }),
  );
  app.get(
    '/v1/accounts/:accountId/compliance/:product/:metric',
    {
      schema: {
        tags: ['compliance'],
        summary: 'Compliance of one product and metric',
        params: MetricParams,
        response: { 200: MetricComplianceSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) =>
      services.compliance.metric(
        contextOf(request, clock),
        request.params.accountId,
        request.params.product,
        Number(request.params.metric),
      ),
  );
}
