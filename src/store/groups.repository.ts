import { sql } from 'kysely';
import { Conflict } from '../domain/errors.js';
import type { Group, Order, OrderInput } from '../domain/group.js';
import { unassigned } from '../domain/group.js';
import type { Executor } from './database.js';
import { isUniqueViolation } from './errors.js';
import type { LicenseGroupsTable } from './schema.js';

export async function findGroup(
  db: Executor,
  accountId: string,
  guid: string,
): Promise<Group | undefined> {
  const row = await db
    .selectFrom('license_groups')
    .selectAll()
    .where('guid', '=', guid)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const [group] = await withLicenses(db, [row]);
  return group;
}

export async function listGroups(db: Executor, accountId: string): Promise<Group[]> {
  const rows = await db
    .selectFrom('license_groups')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('name')
    .orderBy('guid')
    .execute();
  return withLicenses(db, rows);
}

async function withLicenses(db: Executor, rows: LicenseGroupsTable[]): Promise<Group[]> {
  if (rows.length === 0) return [];
  const assigned = await db
    .selectFrom('group_licenses')
    .select(['group_guid', 'license_id'])
    .where(
      'group_guid',
      'in',
      rows.map((row) => row.guid),
    )
    .orderBy('license_id')
    .execute();
  return rows.map((row) => ({
    guid: row.guid,
    accountId: row.account_id,
    groupName: row.name,
    numberOfUsers: row.number_of_users,
    licenses: assigned.filter((a) => a.group_guid === row.guid).map((a) => a.license_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

export async function insertGroup(db: Executor, group: Group): Promise<void> {
  try {
    await db
      .insertInto('license_groups')
      .values({
        guid: group.guid,
        account_id: group.accountId,
        name: group.groupName,
        number_of_users: group.numberOfUsers,
        created_at: group.createdAt,
        updated_at: group.updatedAt,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new Conflict('A group with this guid already exists.', [
        { name: 'guid', reason: 'is already used' },
      ]);
    }
    throw error;
  }
}

export async function updateGroup(db: Executor, group: Group): Promise<void> {
  await db
    .updateTable('license_groups')
    .set({
      name: group.groupName,
      number_of_users: group.numberOfUsers,
      updated_at: group.updatedAt,
    })
    .where('guid', '=', group.guid)
    .execute();
}

export async function deleteGroup(db: Executor, guid: string): Promise<void> {
  await db.deleteFrom('license_groups').where('guid', '=', guid).execute();
}

/** Assigns a license to a group, moving it out of any other group. */
export async function assignLicense(
  db: Executor,
  guid: string,
  licenseId: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('group_licenses')
    .values({ license_id: licenseId, group_guid: guid, assigned_at: at })
    .onConflict((oc) => oc.column('license_id').doUpdateSet({ group_guid: guid, assigned_at: at }))
    .execute();
}

export async function unassignLicense(
  db: Executor,
  guid: string,
  licenseId: string,
): Promise<number> {
  const result = await db
    .deleteFrom('group_licenses')
    .where('group_guid', '=', guid)
    .where('license_id', '=', licenseId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertOrder(
  db: Executor,
  accountId: string,
  order: OrderInput,
  at: string,
): Promise<void> {
  try {
    await db
      .insertInto('orders')
      .values({ account_id: accountId, order_id: order.orderId, created_at: at })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new Conflict(`Order '${order.orderId}' already exists.`, [
        { name: 'orderId', reason: 'is already recorded' },
      ]);
    }
    throw error;
  }
  await db
    .insertInto('order_items')
    .values(
      order.purchaseDetails.map((detail, position) => ({
        account_id: accountId,
        order_id: order.orderId,
        position,
        sku: detail.sku,
        description: detail.description,
        quantity: detail.quantity,
        start_date: detail.startDate,
        end_date: detail.endDate,
      })),
    )
    .execute();
}

export async function deleteOrder(
  db: Executor,
  accountId: string,
  orderId: string,
): Promise<number> {
  const result = await db
    .deleteFrom('orders')
    .where('account_id', '=', accountId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Orders with, per purchased SKU, how much is assigned: the quantities of the account's licenses
 * of that order and SKU that sit in a group. One query for the items, one for the assignments.
 */
export async function listOrders(
  db: Executor,
  accountId: string,
  orderId?: string,
): Promise<Order[]> {
  let orders = db.selectFrom('orders').selectAll().where('account_id', '=', accountId);
  if (orderId !== undefined) orders = orders.where('order_id', '=', orderId);
  const [orderRows, items, assigned] = await Promise.all([
    orders.orderBy('created_at').orderBy('order_id').execute(),
    db
      .selectFrom('order_items')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('position')
      .execute(),
    db
      .selectFrom('licenses')
      .innerJoin('group_licenses', 'group_licenses.license_id', 'licenses.id')
      .select([
        'licenses.order_id',
        'licenses.sku',
        sql<number | string>`sum(licenses.quantity)`.as('quantity'),
      ])
      .where('licenses.account_id', '=', accountId)
      .where('licenses.order_id', 'is not', null)
      .groupBy(['licenses.order_id', 'licenses.sku'])
      .execute(),
  ]);
  const assignedOf = (order: string, sku: string) =>
    Number(assigned.find((a) => a.order_id === order && a.sku === sku)?.quantity ?? 0);
  return orderRows.map((row) => ({
    orderId: row.order_id,
    accountId: row.account_id,
    purchaseDetails: items
      .filter((item) => item.order_id === row.order_id)
      .map((item) => {
        const taken = assignedOf(item.order_id, item.sku);
        return {
          sku: item.sku,
          description: item.description,
          quantity: item.quantity,
          startDate: item.start_date,
          endDate: item.end_date,
          assigned: taken,
          unassigned: unassigned(item.quantity, taken),
        };
      }),
    createdAt: row.created_at,
  }));
}
