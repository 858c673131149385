import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AccountCompliance } from '../../../domain/compliance.js';
import { Forbidden, InvalidFields } from '../../../domain/errors.js';
import type { License, LicenseIssue, LicensePatch } from '../../../domain/license.js';
import { canSeeAccount } from '../../../domain/principal.js';
import type { Product } from '../../../domain/product.js';
import type { ServiceContext } from '../../../services/context.js';
import type { Services } from '../../../services/index.js';
import { contextOf } from '../../plugins/auth.js';
import type { App, RouteDeps } from '../../types.js';
import { listAll, quoted } from '../shared.js';
import { requireUserToken } from './errors.js';
import {
  capacityMetric,
  convert,
  fromTB,
  kindOf,
  normalizeCode,
  toBlueXpLicense,
  unitOf,
} from './mapping.js';
import {
  BlueXpErrorSchema,
  BlueXpLicenseListSchema,
  BlueXpLicenseSchema,
  BLUEXP_LICENSE_TYPES,
  LicenseCreateSchema,
  LicenseQuerySchema,
  LicenseUpdateSchema,
  ResourceParams,
  type LicenseQuery,
} from './schemas.js';

const errors = {
  400: BlueXpErrorSchema,
  401: BlueXpErrorSchema,
  403: BlueXpErrorSchema,
  404: BlueXpErrorSchema,
};

/** The native filter of a wallet query; the parameters are ANDed. */
function filterOf(query: LicenseQuery): string | undefined {
  const terms: string[] = [];
  if (query.accountId !== undefined) terms.push(`accountId eq ${quoted(query.accountId)}`);
  if (query.serialNumber !== undefined) terms.push(`serialNumber eq ${query.serialNumber}`);
  if (query.resourceId !== undefined) terms.push(`resourceId eq ${quoted(query.resourceId)}`);
  if (query.licenseType !== undefined) {
    const type = normalizeCode(query.licenseType);
    const known = BLUEXP_LICENSE_TYPES.find((t) => t === type || `${t}S` === type);
    // An unknown type matches nothing rather than failing: the list is a search.
    terms.push(`licenseType eq ${quoted(known === undefined ? type : kindOf(known))}`);
  }
  if (query.service !== undefined) terms.push(`service eq ${quoted(normalizeCode(query.service))}`);
  if (query.group !== undefined) terms.push(`group eq ${quoted(normalizeCode(query.group))}`);
  return terms.length === 0 ? undefined : terms.join(' and ');
}

async function productsById(
  services: Services,
  ctx: ServiceContext,
): Promise<Map<number, Product>> {
  const all = await listAll((params) => services.products.list(ctx, params), undefined);
  return new Map(all.map((product) => [product.id, product]));
}

/** The wallet view of licenses, with summary info read once per account when asked for. */
async function present(
  services: Services,
  ctx: ServiceContext,
  licenses: readonly License[],
  summary: boolean,
) {
  const products = await productsById(services, ctx);
  const compliance = new Map<string, AccountCompliance>();
  if (summary) {
    for (const accountId of new Set(licenses.map((l) => l.accountId)))
      compliance.set(accountId, await services.compliance.account(ctx, accountId));
  }
  return licenses.map((license) =>
    toBlueXpLicense(license, products, compliance.get(license.accountId)),
  );
}

function wantsSummary(request: FastifyRequest): boolean {
  return (request.query as { includeSummaryInfo?: string }).includeSummaryInfo === 'true';
}

/** `/license/licenses`: list and search, create, retrieve, update (PUT) and remove. */
export function licenseRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/licenses',
    {
      schema: {
        tags: ['BlueXP digital wallet'],
        querystring: LicenseQuerySchema,
        response: { 200: BlueXpLicenseListSchema, ...errors },
      },
    },
    async (request) => {
      const ctx = contextOf(request, clock);
      const { accountId } = request.query;
      // Without accountId the list covers every account of the token.
      if (accountId !== undefined && !canSeeAccount(ctx.principal, accountId))
        throw new Forbidden(`The token has no access to account '${accountId}'.`);
      const licenses = await listAll(
        (params) => services.licenses.list(ctx, params),
        filterOf(request.query),
      );
      return present(services, ctx, licenses, request.query.includeSummaryInfo === 'true');
    },
  );

  app.post(
    '/licenses',
    {
      schema: {
        tags: ['BlueXP digital wallet'],
        body: LicenseCreateSchema,
        response: { 200: BlueXpLicenseSchema, ...errors },
      },
    },
    async (request) => {
      requireUserToken(request);
      const ctx = contextOf(request, clock);
      const body = request.body;
      const product =
        body.product === undefined ? undefined : await services.products.get(ctx, body.product);
      const metric = capacityMetric(product);
      const issue: LicenseIssue = {
        accountId: body.accountId,
        kind: kindOf(body.licenseType),
        ...(product === undefined ? {} : { product: product.id }),
        ...(body.key === undefined ? {} : { key: body.key }),
        ...(body.serialNumber === undefined ? {} : { serialNumber: Number(body.serialNumber) }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.service === undefined
          ? {}
          : { service: body.service === null ? null : normalizeCode(body.service) }),
        ...(body.group === undefined
          ? {}
          : { group: body.group === null ? null : normalizeCode(body.group) }),
        ...(body.expirationDate === undefined ? {} : { expiresAt: body.expirationDate }),
        ...(body.entitledCapacityTB === undefined
          ? {}
          : metric === null
            ? { quantity: body.entitledCapacityTB }
            : { metricId: metric.id, quantity: fromTB(body.entitledCapacityTB, metric.unit) }),
      };
      const license = await services.licenses.issue(ctx, issue);
      return (await present(services, ctx, [license], wantsSummary(request)))[0];
    },
  );

  app.get(
    '/licenses/:resourceId',
    {
      schema: {
        tags: ['BlueXP digital wallet'],
        params: ResourceParams,
        querystring: Type.Object(
          { includeSummaryInfo: Type.Optional(Type.Enum(['true', 'false'])) },
          { additionalProperties: false },
        ),
        response: { 200: BlueXpLicenseSchema, ...errors },
      },
    },
    async (request) => {
      const ctx = contextOf(request, clock);
      const license = await services.licenses.get(ctx, request.params.resourceId);
      return (await present(services, ctx, [license], wantsSummary(request)))[0];
    },
  );

  app.put(
    '/licenses/:resourceId',
    {
      schema: {
        tags: ['BlueXP digital wallet'],
        params: ResourceParams,
        body: LicenseUpdateSchema,
        response: { 200: BlueXpLicenseSchema, ...errors },
      },
    },
    async (request) => {
      requireUserToken(request);
      const ctx = contextOf(request, clock);
      const body = request.body;
      const patch: LicensePatch = {
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.service === undefined
          ? {}
          : { service: body.service === null ? null : normalizeCode(body.service) }),
        ...(body.group === undefined
          ? {}
          : { group: body.group === null ? null : normalizeCode(body.group) }),
        ...(body.expirationDate === undefined ? {} : { expiresAt: body.expirationDate }),
      };
      if (body.entitledCapacityTB !== undefined) {
        const current = await services.licenses.get(ctx, request.params.resourceId);
        const unit = unitOf(current, await productsById(services, ctx));
        if (convert(1, unit, 'TB') === null) {
          throw new InvalidFields([
            { name: 'entitledCapacityTB', reason: `the license counts ${unit}, not capacity` },
          ]);
        }
        patch.quantity = fromTB(body.entitledCapacityTB, unit);
      }
      const license = await services.licenses.update(ctx, request.params.resourceId, patch);
      return (await present(services, ctx, [license], false))[0];
    },
  );

  app.delete(
    '/licenses/:resourceId',
    {
      schema: {
        tags: ['BlueXP digital wallet'],
        summary: 'BlueXP: remove a license (200, no body)',
        params: ResourceParams,
      },
    },
    async (request, reply) => {
      requireUserToken(request);
      await services.licenses.remove(contextOf(request, clock), request.params.resourceId);
      return reply.code(200).send();
    },
  );
}
