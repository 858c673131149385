import type { Instance } from '../domain/instance.js';
import { Conflict, InUse } from '../domain/errors.js';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import { preparedQuery, type Executor } from './database.js';
import { recoverable } from './dialect.js';
import { isForeignKeyViolation, isUniqueViolation, violatesUniqueOn } from './errors.js';
import { listPage, type Page } from './list.js';
import type { InstancesTable } from './schema.js';

export const instancesCollection: CollectionSpec = {
  name: 'instances',
  fields: {
    id: { type: 'string', column: 'id' },
    accountId: { type: 'string', column: 'account_id' },
    installId: { type: 'integer', column: 'install_id' },
    deviceSerial: { type: 'string', column: 'device_serial' },
    name: { type: 'string', column: 'name' },
    hostname: { type: 'string', column: 'hostname', nullable: true },
    fingerprint: { type: 'string', column: 'fingerprint', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    lastSeenAt: { type: 'timestamp', column: 'last_seen_at', nullable: true },
  },
  key: 'id',
  defaultOrder: [{ field: 'createdAt', direction: 'asc' }],
  includable: [
    'id',
    'accountId',
    'installId',
    'deviceSerial',
    'name',
    'hostname',
    'fingerprint',
    'labels',
    'createdAt',
    'updatedAt',
    'lastSeenAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

export function toInstance(row: InstancesTable): Instance {
  return {
    id: row.id,
    accountId: row.account_id,
    installId: row.install_id,
    deviceSerial: row.device_serial,
    name: row.name,
    hostname: row.hostname,
    fingerprint: row.fingerprint,
    labels: JSON.parse(row.labels) as Record<string, string>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeenAt: row.last_seen_at,
  };
}

function toRow(instance: Instance): InstancesTable {
  return {
    id: instance.id,
    account_id: instance.accountId,
    install_id: instance.installId,
    device_serial: instance.deviceSerial,
    name: instance.name,
    hostname: instance.hostname,
    fingerprint: instance.fingerprint,
    labels: JSON.stringify(instance.labels),
    created_at: instance.createdAt,
    updated_at: instance.updatedAt,
    last_seen_at: instance.lastSeenAt,
  };
}

/** Parameter: the id. Prepared once: validation looks the calling instance up on every call. */
const instanceById = preparedQuery((db) =>
  db.selectFrom('instances').selectAll().where('id', '=', ''),
);

export async function findInstance(db: Executor, id: string): Promise<Instance | undefined> {
  const [row] = await instanceById(db, [id]);
  return row && toInstance(row);
}

/** The instance an HP client names by install id or a NetProfiler client by device serial. */
export async function findInstanceBy(
  db: Executor,
  by: { installId: number } | { deviceSerial: string },
): Promise<Instance | undefined> {
  const query = db.selectFrom('instances').selectAll();
  const row = await (
    'installId' in by
      ? query.where('install_id', '=', by.installId)
      : query.where('device_serial', '=', by.deviceSerial)
  ).executeTakeFirst();
  return row && toInstance(row);
}

export async function listInstances(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
  only?: string,
): Promise<Page<Instance>> {
  let base = db.selectFrom('instances').selectAll();
  if (scope !== null) base = base.where('account_id', 'in', scope.length > 0 ? [...scope] : ['']);
  if (only !== undefined) base = base.where('id', '=', only);
  const page = await listPage(base, instancesCollection, query);
  return { ...page, rows: page.rows.map(toInstance) };
}

/** Inserts an instance; a taken install id or device serial is a Conflict naming the field. */
/** Every instance of an account, oldest first (auto-download walks them). */
export async function instancesOfAccount(db: Executor, accountId: string): Promise<Instance[]> {
  const rows = await db
    .selectFrom('instances')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return rows.map(toInstance);
}

export async function insertInstance(db: Executor, instance: Instance): Promise<void> {
  try {
    // Recoverable: the caller may draw fresh generated identifiers and try again in this transaction.
    await recoverable(db, () => db.insertInto('instances').values(toRow(instance)).execute());
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const field = violatesUniqueOn(error, 'instances', 'device_serial')
      ? 'deviceSerial'
      : violatesUniqueOn(error, 'instances', 'install_id')
        ? 'installId'
        : 'id';
    throw new Conflict(`Another instance has this ${field}.`, [
      { name: field, reason: 'is already used by another instance' },
    ]);
  }
}

export async function updateInstance(db: Executor, instance: Instance): Promise<void> {
  const { id, ...row } = toRow(instance);
  await db.updateTable('instances').set(row).where('id', '=', id).execute();
}

/** Marks the instance as seen, at most once a minute (validation is a hot path). */
export async function touchInstance(
  db: Executor,
  id: string,
  at: string,
  staleBefore: string,
): Promise<void> {
  await db
    .updateTable('instances')
    .set({ last_seen_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', staleBefore)]))
    .execute();
}

export async function deleteInstance(db: Executor, id: string): Promise<void> {
  try {
    await db.deleteFrom('instances').where('id', '=', id).execute();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new InUse('Instance', id, 'other resources');
    throw error;
  }
}
