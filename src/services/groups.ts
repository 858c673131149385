import { randomUUID } from 'node:crypto';
import { InvalidFields, NotFound } from '../domain/errors.js';
import {
  checkPurchaseDetails,
  type Group,
  type GroupInput,
  type GroupPatch,
  type Order,
  type OrderInput,
} from '../domain/group.js';
import { requireAccount, requireRole, type Principal } from '../domain/principal.js';
import { connected, NEVER_CONTACTED } from '../domain/upstream.js';
import { findAccount } from '../store/accounts.repository.js';
import type { Executor, Store } from '../store/database.js';
import {
  assignLicense,
  deleteGroup,
  deleteOrder,
  findGroup,
  insertGroup,
  insertOrder,
  listGroups,
  listOrders,
  unassignLicense,
  updateGroup,
} from '../store/groups.repository.js';
import { findLicense } from '../store/licenses.repository.js';
import { findUpstreamLink } from '../store/upstream.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';

const NEVER = new Date(0).toISOString();

export interface LicensingStatus {
  orgId: string | null;
  groupLicensing: boolean;
  connectedToLicensingInfrastructure: boolean;
  licensingInfrastructureLastContact: string;
  messageOfTheDay: { contentType: string; message: string } | null;
}

/** Groups and orders of an account (BlackBerry group licensing) and its licensing status. */
export function groupService(store: Store) {
  async function account(db: Executor, principal: Principal, accountId: string) {
    requireAccount(principal, 'Account', accountId);
    const found = await findAccount(db, accountId);
    if (found === undefined) throw new NotFound('Account', accountId);
    return found;
  }

  async function group(
    db: Executor,
    principal: Principal,
    accountId: string,
    guid: string,
  ): Promise<Group> {
    await account(db, principal, accountId);
    const found = await findGroup(db, accountId, guid);
    if (found === undefined) throw new NotFound('Group', guid);
    return found;
  }

  return {
    async listGroups(ctx: ServiceContext, accountId: string): Promise<Group[]> {
      return store.read(async (db) => {
        await account(db, ctx.principal, accountId);
        return listGroups(db, accountId);
      });
    },

    getGroup(ctx: ServiceContext, accountId: string, guid: string): Promise<Group> {
      return store.read((db) => group(db, ctx.principal, accountId, guid));
    },

    createGroup(ctx: ServiceContext, accountId: string, input: GroupInput): Promise<Group> {
      return store.transaction('group.create', async (tx) => {
        await account(tx, ctx.principal, accountId);
        requireRole(ctx.principal, ['operator', 'admin']);
        const now = ctx.clock.now().toISOString();
        const created: Group = {
          guid: input.guid ?? randomUUID(),
          accountId,
          groupName: input.groupName,
          numberOfUsers: input.numberOfUsers ?? 0,
          licenses: [],
          createdAt: now,
          updatedAt: now,
        };
        await insertGroup(tx, created);
        await recordChange(tx, ctx, {
          type: 'group.created',
          accountId,
          resourceType: 'group',
          resourceId: created.guid,
          after: created,
        });
        return created;
      });
    },

    updateGroup(
      ctx: ServiceContext,
      accountId: string,
      guid: string,
      patch: GroupPatch,
    ): Promise<Group> {
      return store.transaction('group.update', async (tx) => {
        const current = await group(tx, ctx.principal, accountId, guid);
        requireRole(ctx.principal, ['operator', 'admin']);
        const next: Group = {
          ...current,
          groupName: patch.groupName ?? current.groupName,
          numberOfUsers: patch.numberOfUsers ?? current.numberOfUsers,
          updatedAt: ctx.clock.now().toISOString(),
        };
        await updateGroup(tx, next);
        await recordChange(tx, ctx, {
          type: 'group.updated',
          accountId,
          resourceType: 'group',
          resourceId: guid,
          before: current,
          after: next,
        });
        return next;
      });
    },

    async deleteGroup(ctx: ServiceContext, accountId: string, guid: string): Promise<void> {
      await store.transaction('group.delete', async (tx) => {
        const current = await group(tx, ctx.principal, accountId, guid);
        requireRole(ctx.principal, ['operator', 'admin']);
        await deleteGroup(tx, guid);
        await recordChange(tx, ctx, {
          type: 'group.deleted',
          accountId,
          resourceType: 'group',
          resourceId: guid,
          before: current,
        });
      });
    },

    /** Assigns licenses of the account to the group (moving them from any other group). */
    assign(
      ctx: ServiceContext,
      accountId: string,
      guid: string,
      licenseIds: readonly string[],
    ): Promise<Group> {
      return store.transaction('group.assign', async (tx) => {
        await group(tx, ctx.principal, accountId, guid);
        requireRole(ctx.principal, ['operator', 'admin']);
        const at = ctx.clock.now().toISOString();
        for (const [i, licenseId] of licenseIds.entries()) {
          const license = await findLicense(tx, { id: licenseId });
          if (license === undefined || license.accountId !== accountId) {
            throw new InvalidFields([
              {
                name: `licenses.${String(i)}`,
                reason: `no license '${licenseId}' in account '${accountId}'`,
              },
            ]);
          }
          await assignLicense(tx, guid, licenseId, at);
        }
        await recordChange(tx, ctx, {
          type: 'group.licenses-assigned',
          accountId,
          resourceType: 'group',
          resourceId: guid,
          after: { licenses: licenseIds },
        });
        return group(tx, ctx.principal, accountId, guid);
      });
    },

    unassign(
      ctx: ServiceContext,
      accountId: string,
      guid: string,
      licenseId: string,
    ): Promise<Group> {
      return store.transaction('group.unassign', async (tx) => {
        await group(tx, ctx.principal, accountId, guid);
        requireRole(ctx.principal, ['operator', 'admin']);
        if ((await unassignLicense(tx, guid, licenseId)) === 0)
          throw new NotFound('Group license', licenseId);
        await recordChange(tx, ctx, {
          type: 'group.license-unassigned',
          accountId,
          resourceType: 'group',
          resourceId: guid,
          before: { license: licenseId },
        });
        return group(tx, ctx.principal, accountId, guid);
      });
    },

    async listOrders(ctx: ServiceContext, accountId: string): Promise<Order[]> {
      return store.read(async (db) => {
        await account(db, ctx.principal, accountId);
        return listOrders(db, accountId);
      });
    },

    async getOrder(ctx: ServiceContext, accountId: string, orderId: string): Promise<Order> {
      return store.read(async (db) => {
        await account(db, ctx.principal, accountId);
        const [order] = await listOrders(db, accountId, orderId);
        if (order === undefined) throw new NotFound('Order', orderId);
        return order;
      });
    },

    /** Records a purchase (operators: orders come from the vendor's systems). */
    createOrder(ctx: ServiceContext, accountId: string, input: OrderInput): Promise<Order> {
      return store.transaction('order.create', async (tx) => {
        await account(tx, ctx.principal, accountId);
        requireRole(ctx.principal, ['operator', 'service']);
        const issues = checkPurchaseDetails(input.purchaseDetails);
        if (issues.length > 0) throw new InvalidFields(issues);
        await insertOrder(tx, accountId, input, ctx.clock.now().toISOString());
        const [order] = await listOrders(tx, accountId, input.orderId);
        if (order === undefined) throw new NotFound('Order', input.orderId);
        await recordChange(tx, ctx, {
          type: 'order.created',
          accountId,
          resourceType: 'order',
          resourceId: input.orderId,
          after: order,
        });
        return order;
      });
    },

    async deleteOrder(ctx: ServiceContext, accountId: string, orderId: string): Promise<void> {
      await store.transaction('order.delete', async (tx) => {
        await account(tx, ctx.principal, accountId);
        requireRole(ctx.principal, ['operator']);
        if ((await deleteOrder(tx, accountId, orderId)) === 0) throw new NotFound('Order', orderId);
        await recordChange(tx, ctx, {
          type: 'order.deleted',
          accountId,
          resourceType: 'order',
          resourceId: orderId,
        });
      });
    },

    /**
     * The account's licensing status. Without an upstream, this server is the licensing
     * infrastructure: connected, last contact now. With one, the upstream's recorded health: a
     * server never contacted reports the epoch as its last contact. Answered whether or not the
     * upstream is reachable: nothing here calls it.
     */
    async licensingStatus(ctx: ServiceContext, accountId: string): Promise<LicensingStatus> {
      const [found, link] = await store.read(
        async (db) =>
          [
            await account(db, ctx.principal, accountId),
            await findUpstreamLink(db, accountId),
          ] as const,
      );
      const federated = found.settings.upstreamUrl !== null;
      const health = link ?? NEVER_CONTACTED;
      return {
        orgId: found.orgId,
        groupLicensing: found.settings.groupLicensing,
        connectedToLicensingInfrastructure: federated ? connected(health) : true,
        licensingInfrastructureLastContact: federated
          ? (health.lastContactAt ?? NEVER)
          : ctx.clock.now().toISOString(),
        messageOfTheDay: found.settings.messageOfTheDay,
      };
    },
  };
}

export type GroupService = ReturnType<typeof groupService>;
