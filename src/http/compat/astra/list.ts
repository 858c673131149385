import { AstraListSchema } from './schemas.js';
import { ASTRA_ERRORS, inDocumentOrder } from './problems.js';
import { InvalidParams } from '../../../domain/errors.js';
import type { App, RouteDeps } from '../../types.js';
import {
  ASTRA_FIELDS,
  ASTRA_LIST_MEDIA_TYPE,
  ASTRA_LIST_VERSION,
  AccountParams,
  AstraListQuery,
  astraSubscription,
  type AstraList,
} from './schemas.js';
import { accountContext } from './scope.js';

/**
 * `GET /accounts/{account_id}/core/v1/subscriptions`: the path account's subscriptions through the
 * native query language (`filter`, `orderBy`, `limit`, `skip`, `count`, `continue`). With
 * `include`, each item is an ARRAY of the requested values in the requested order (an unset
 * optional field is `null`).
 */
export function listSubscriptions(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/subscriptions',
    {
      serializerCompiler: inDocumentOrder,
      schema: {
        tags: ['astra'],
        summary: 'Astra: list subscriptions',
        params: AccountParams,
        querystring: AstraListQuery,
        response: { 200: AstraListSchema, ...ASTRA_ERRORS },
      },
    },
    async (request): Promise<AstraList> => {
      const ctx = await accountContext(services, request, clock, request.params.account_id);
      const { include, ...params } = request.query;
      const fields = includedFields(include);
      const page = await services.subscriptions.list(ctx, params);
      const resources = page.rows.map(astraSubscription);
      const items =
        fields === null
          ? resources
          : resources.map((resource) => {
              const values = resource as Record<string, unknown>;
              return fields.map((field) => values[field] ?? null);
            });
      const now = clock.now().toISOString();
      const metadata: AstraList['metadata'] = {
        ...(page.continueToken === undefined ? {} : { continue: page.continueToken }),
        ...(page.count === undefined ? {} : { count: page.count }),
        labels: [],
        creationTimestamp: now,
        modificationTimestamp: now,
        createdBy: ctx.principal.subject,
      };
      return { type: ASTRA_LIST_MEDIA_TYPE, version: ASTRA_LIST_VERSION, items, metadata };
    },
  );
}

/** `include=id,terms` → `['id', 'terms']`; a field the Astra resource lacks is a bad parameter. */
function includedFields(include: string | undefined): string[] | null {
  if (include === undefined || include.trim() === '') return null;
  const names = include.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !ASTRA_FIELDS.includes(name));
  if (unknown.length > 0) {
    throw new InvalidParams([
      {
        name: 'include',
        reason: `unknown field(s) ${unknown.map((n) => `'${n}'`).join(', ')}; fields that can be included: ${ASTRA_FIELDS.join(', ')}`,
      },
    ]);
  }
  return names;
}
