import { Type } from 'typebox';
import { GRANULARITIES } from '../../../domain/usage.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams } from '../accounts/schemas.js';

/** A date (`2026-11-01`) or date-time; usage counts by UTC day. */
const dateOrTime = (description: string) =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}([T ].*)?$', maxLength: 40, description });

export const UsageQuerySchema = Type.Object(
  {
    product: Type.String({ minLength: 1, maxLength: 64, description: 'Product id or slug.' }),
    metric: Type.Optional(Type.String({ pattern: '^\\d{1,9}$', description: 'A metric id.' })),
    feature: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'A feature id.' }),
    ),
    from: Type.Optional(dateOrTime('Start, a date or date-time (default: this UTC month).')),
    to: Type.Optional(dateOrTime('End, exclusive (default: the next UTC month).')),
    granularity: Type.Optional(
      Type.Enum(GRANULARITIES, { description: 'Series buckets (default day).' }),
    ),
  },
  { additionalProperties: false },
);

export const UsageReportSchema = Type.Object({
  accountId: Type.String(),
  product: Type.Integer(),
  metric: Type.Optional(Type.Integer()),
  feature: Type.Optional(Type.String()),
  from: Type.String({ description: 'First UTC day of the period.' }),
  to: Type.String({ description: 'The UTC day after the period.' }),
  granularity: Type.Enum(GRANULARITIES),
  consumption: Type.Object({
    gauges: Type.Number({ description: 'Latest gauge of every instance, summed.' }),
    instances: Type.Integer({ description: 'Instances with a gauge.' }),
    deltas: Type.Number({ description: 'Deltas of the period.' }),
    used: Type.Number({ description: 'gauges + deltas.' }),
  }),
  series: Type.Array(
    Type.Object({
      period: Type.String({ description: '`YYYY-MM-DD` or `YYYY-MM`.' }),
      deltas: Type.Number(),
      records: Type.Integer(),
    }),
  ),
});

/** Consumption of an account: totals and a series, read from the aggregates. */
export function usageReport(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/accounts/:accountId/usage',
    {
      schema: {
        tags: ['usage'],
        summary: "An account's consumption of a product metric or feature",
        description:
          'Consumption = the latest gauge of each instance, summed, plus the deltas of the period (by UTC day); a series of deltas and record counts per day or month. Give exactly one of `metric` and `feature`. Another account answers 404.',
        params: AccountParams,
        querystring: UsageQuerySchema,
        response: { 200: UsageReportSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) =>
      services.usage.report(contextOf(request, clock), request.params.accountId, request.query),
  );
}
