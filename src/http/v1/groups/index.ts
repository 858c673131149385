import { Type } from 'typebox';
import { AccountId } from '../../../domain/account.js';
import {
  GroupInputSchema,
  GroupPatchSchema,
  GroupSchema,
  OrderInputSchema,
  OrderSchema,
} from '../../../domain/group.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

const AccountParams = Type.Object({ accountId: AccountId }, { additionalProperties: false });
const GroupParams = Type.Object(
  { accountId: AccountId, guid: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
const GroupLicenseParams = Type.Object(
  {
    accountId: AccountId,
    guid: Type.String({ format: 'uuid' }),
    licenseId: Type.String({ maxLength: 80 }),
  },
  { additionalProperties: false },
);
const OrderParams = Type.Object(
  { accountId: AccountId, orderId: Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,64}$' }) },
  { additionalProperties: false },
);
const LicensingStatusSchema = Type.Object({
  orgId: Type.Union([Type.String(), Type.Null()]),
  groupLicensing: Type.Boolean(),
  connectedToLicensingInfrastructure: Type.Boolean(),
  licensingInfrastructureLastContact: Type.String({ format: 'date-time' }),
  messageOfTheDay: Type.Union([
    Type.Object({ contentType: Type.String(), message: Type.String() }),
    Type.Null(),
  ]),
});

/** Group licensing (BlackBerry): groups, license assignment, orders, and the licensing status. */
export function groupRoutes(app: App, { services, clock }: RouteDeps): void {
  const tags = ['groups'];
  app.get(
    '/v1/accounts/:accountId/groups',
    {
      schema: {
        tags,
        summary: "List an account's groups",
        params: AccountParams,
        response: {
          200: Type.Object({ items: Type.Array(GroupSchema) }),
          ...problems('invalid-params', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.groups.listGroups(contextOf(request, clock), request.params.accountId),
    }),
  );
  app.post(
    '/v1/accounts/:accountId/groups',
    {
      schema: {
        tags,
        summary: 'Create a group',
        description: 'Operators and admins of the account.',
        params: AccountParams,
        body: GroupInputSchema,
        response: {
          201: GroupSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const group = await services.groups.createGroup(
        contextOf(request, clock),
        request.params.accountId,
        request.body,
      );
      return reply
        .code(201)
        .header('location', `/v1/accounts/${request.params.accountId}/groups/${group.guid}`)
        .send(group);
    },
  );
  app.get(
    '/v1/accounts/:accountId/groups/:guid',
    {
      schema: {
        tags,
        summary: 'Get a group',
        params: GroupParams,
        response: { 200: GroupSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) =>
      services.groups.getGroup(
        contextOf(request, clock),
        request.params.accountId,
        request.params.guid,
      ),
  );
  app.patch(
    '/v1/accounts/:accountId/groups/:guid',
    {
      schema: {
        tags,
        summary: 'Update a group',
        params: GroupParams,
        body: GroupPatchSchema,
        response: { 200: GroupSchema, ...bodyProblems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    (request) =>
      services.groups.updateGroup(
        contextOf(request, clock),
        request.params.accountId,
        request.params.guid,
        request.body,
      ),
  );
  app.delete(
    '/v1/accounts/:accountId/groups/:guid',
    {
      schema: {
        tags,
        summary: 'Delete a group (its licenses become unassigned)',
        params: GroupParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.groups.deleteGroup(
        contextOf(request, clock),
        request.params.accountId,
        request.params.guid,
      );
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/v1/accounts/:accountId/groups/:guid/licenses',
    {
      schema: {
        tags,
        summary: 'Assign licenses to a group',
        description: 'A license is in at most one group: assigning it moves it from another group.',
        params: GroupParams,
        body: Type.Object(
          { licenses: Type.Array(Type.String({ maxLength: 80 }), { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: GroupSchema, ...bodyProblems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    (request) =>
      services.groups.assign(
        contextOf(request, clock),
        request.params.accountId,
        request.params.guid,
        request.body.licenses,
      ),
  );
  app.delete(
    '/v1/accounts/:accountId/groups/:guid/licenses/:licenseId',
    {
      schema: {
        tags,
        summary: 'Take a license out of a group',
        params: GroupLicenseParams,
        response: { 200: GroupSchema, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    (request) =>
      services.groups.unassign(
        contextOf(request, clock),
        request.params.accountId,
        request.params.guid,
        request.params.licenseId,
      ),
  );

  app.get(
    '/v1/accounts/:accountId/orders',
    {
      schema: {
        tags,
        summary: "List an account's orders, with unassigned quantities",
        params: AccountParams,
        response: {
          200: Type.Object({ items: Type.Array(OrderSchema) }),
          ...problems('invalid-params', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.groups.listOrders(contextOf(request, clock), request.params.accountId),
    }),
  );
  app.post(
    '/v1/accounts/:accountId/orders',
    {
      schema: {
        tags,
        summary: 'Record an order (purchase details)',
        description: 'Operators and services. Licenses reference it through orderId and sku.',
        params: AccountParams,
        body: OrderInputSchema,
        response: {
          201: OrderSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const order = await services.groups.createOrder(
        contextOf(request, clock),
        request.params.accountId,
        request.body,
      );
      return reply
        .code(201)
        .header(
          'location',
          `/v1/accounts/${request.params.accountId}/orders/${encodeURIComponent(order.orderId)}`,
        )
        .send(order);
    },
  );
  app.get(
    '/v1/accounts/:accountId/orders/:orderId',
    {
      schema: {
        tags,
        summary: 'Get an order',
        params: OrderParams,
        response: { 200: OrderSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) =>
      services.groups.getOrder(
        contextOf(request, clock),
        request.params.accountId,
        request.params.orderId,
      ),
  );
  app.delete(
    '/v1/accounts/:accountId/orders/:orderId',
    {
      schema: {
        tags,
        summary: 'Delete an order',
        params: OrderParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.groups.deleteOrder(
        contextOf(request, clock),
        request.params.accountId,
        request.params.orderId,
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/accounts/:accountId/licensing-status',
    {
      schema: {
        tags,
        summary: "The account's licensing status",
        description:
          'Organization id, group licensing on/off, connection to the licensing infrastructure (this server, until federation) and the message of the day (set in account settings).',
        params: AccountParams,
        response: { 200: LicensingStatusSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) =>
      services.groups.licensingStatus(contextOf(request, clock), request.params.accountId),
  );
}
