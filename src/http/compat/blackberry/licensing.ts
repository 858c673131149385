import type { FastifyReply, FastifyRequest } from 'fastify';
import { contextOf } from '../../plugins/auth.js';
import type { App, RouteDeps } from '../../types.js';
import { sendBlackBerryError } from './errors.js';
import { groupsLicensingInformation, licensingInformation } from './mapping.js';
import { negotiate } from './media.js';
import {
  GroupsLicensingInformationSchema,
  LICENSING_MEDIA_TYPE,
  LicensingInformationSchema,
  TenantParams,
} from './schemas.js';

/** 406 unless `Accept` allows the licensing type or JSON; otherwise answers in the type chosen. */
function acceptable(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const type = negotiate(request.headers.accept);
  if (type === null) {
    void sendBlackBerryError(
      reply,
      { status: 406, code: 'NOT_ACCEPTABLE' },
      `Accept '${request.headers.accept ?? ''}' allows neither ${LICENSING_MEDIA_TYPE} nor application/json.`,
    );
    return;
  }
  void reply.header('content-type', type);
  done();
}

/**
 * `GET /{tenantGuid}/api/v1/licensing` and `/licensing/groups`. Both answer 200 even when the
 * licensing infrastructure is unreachable: the status then says so.
 */
export function licensingRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/licensing',
    {
      preHandler: acceptable,
      schema: {
        tags: ['blackberry'],
        summary: 'BlackBerry UEM: licensing information',
        description: `Organization status, message of the day, licensed services and usage, unlicensed usage; ${LICENSING_MEDIA_TYPE}. 200 even when the licensing infrastructure is unreachable.`,
        params: TenantParams,
        response: { 200: LicensingInformationSchema },
      },
    },
    async (request) => {
      const ctx = contextOf(request, clock);
      const accountId = request.params.tenantGuid;
      const [status, compliance] = await Promise.all([
        services.groups.licensingStatus(ctx, accountId),
        services.compliance.account(ctx, accountId),
      ]);
      const includes = new Map<string, string[]>();
      for (const suggested of compliance.unlicensedUsage.suggestedLicenses) {
        const product = await services.products.get(ctx, suggested.id);
        includes.set(
          suggested.id,
          product.features.map((f) => f.name),
        );
      }
      return licensingInformation(accountId, status, compliance, includes);
    },
  );

  app.get(
    '/licensing/groups',
    {
      preHandler: acceptable,
      schema: {
        tags: ['blackberry'],
        summary: 'BlackBerry UEM: group-based licensing information',
        description: `Organization status, unassigned licenses of orders, and each group's licensed services and usage; ${LICENSING_MEDIA_TYPE}.`,
        params: TenantParams,
        response: { 200: GroupsLicensingInformationSchema },
      },
    },
    async (request) => {
      const ctx = contextOf(request, clock);
      const accountId = request.params.tenantGuid;
      const [status, account, orders, groups, perGroup] = await Promise.all([
        services.groups.licensingStatus(ctx, accountId),
        services.compliance.account(ctx, accountId),
        services.groups.listOrders(ctx, accountId),
        services.groups.listGroups(ctx, accountId),
        services.compliance.groups(ctx, accountId),
      ]);
      return groupsLicensingInformation(
        accountId,
        status,
        account.overallComplianceStatus,
        orders,
        groups,
        new Map(perGroup.map((g) => [g.guid, g.compliance])),
      );
    },
  );
}
