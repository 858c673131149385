import { sql } from 'kysely';
import { Conflict } from '../domain/errors.js';
import type { LicenseFacts } from '../domain/compliance.js';
import type { License, LicenseKind, LicenseState, LicenseTerm } from '../domain/license.js';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import { preparedQuery, type Executor } from './database.js';
import { dialectOf } from './dialect.js';
import { isUniqueViolation } from './errors.js';
import { listPage, type Page } from './list.js';
import type { LicensesTable } from './schema.js';

/** A license as stored: everything but its validity, which is derived under a clock. */
export type LicenseRecord = Omit<License, 'validity'>;

/** Filterable fields include every BlueXP query parameter: accountId, serialNumber, resourceId, licenseType, service, group. */
export const licensesCollection: CollectionSpec = {
  name: 'licenses',
  fields: {
    id: { type: 'string', column: 'licenses.id' },
    resourceId: { type: 'string', column: 'licenses.id' },
    serialNumber: { type: 'integer', column: 'serial_number' },
    key: { type: 'string', column: 'key', sortable: false },
    accountId: { type: 'string', column: 'account_id' },
    productId: { type: 'integer', column: 'product_id', nullable: true },
    kind: { type: 'string', column: 'kind' },
    licenseType: { type: 'string', column: 'kind' },
    service: { type: 'string', column: 'service', nullable: true },
    group: { type: 'string', column: 'group_name', nullable: true },
    term: { type: 'string', column: 'term' },
    state: { type: 'string', column: 'state' },
    quantity: { type: 'number', column: 'quantity' },
    orderId: { type: 'string', column: 'order_id', nullable: true },
    sku: { type: 'string', column: 'sku', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    startsAt: { type: 'timestamp', column: 'starts_at', nullable: true },
    expiresAt: { type: 'timestamp', column: 'expires_at', nullable: true },
  },
  key: 'serialNumber',
  defaultOrder: [{ field: 'serialNumber', direction: 'asc' }],
  includable: [
    'id',
    'serialNumber',
    'key',
    'keyScheme',
    'accountId',
    'productId',
    'kind',
    'service',
    'group',
    'term',
    'metricId',
    'quantity',
    'features',
    'baseLicense',
    'description',
    'createdAt',
    'updatedAt',
    'startsAt',
    'activatedAt',
    'expiresAt',
    'graceDays',
    'seatLimit',
    'seatsUsed',
    'state',
    'deactivatedKey',
    'orderId',
    'sku',
    'labels',
    'validity',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

type LicenseRow = LicensesTable & {
  seats_used: number | bigint | string;
  policy_id: string | null;
};

/** Licenses with their live seat count and the policy each is bound to (`lp`, for more of it). */
function selectLicenses(db: Executor) {
  return db
    .selectFrom('licenses')
    .leftJoin('license_policies as lp', 'lp.license_id', 'licenses.id')
    .selectAll('licenses')
    .select([
      sql<number>`(select count(*) from activations a where a.license_id = licenses.id and a.deactivated_at is null)`.as(
        'seats_used',
      ),
      'lp.policy_id',
    ]);
}

function toRecord(row: LicenseRow): LicenseRecord {
  return {
    id: row.id,
    serialNumber: row.serial_number,
    key: row.key,
    keyScheme: row.key_scheme as LicenseRecord['keyScheme'],
    accountId: row.account_id,
    productId: row.product_id,
    kind: row.kind as LicenseKind,
    service: row.service,
    group: row.group_name,
    term: row.term as LicenseTerm,
    metricId: row.metric_id,
    quantity: row.quantity,
    features: JSON.parse(row.features) as string[],
    baseLicense: row.base_license === 1,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startsAt: row.starts_at,
    activatedAt: row.activated_at,
    expiresAt: row.expires_at,
    graceDays: row.grace_days,
    seatLimit: row.seat_limit,
    seatsUsed: Number(row.seats_used),
    state: row.state as LicenseState,
    deactivatedKey: row.deactivated_key,
    orderId: row.order_id,
    sku: row.sku,
    labels: JSON.parse(row.labels) as Record<string, string>,
    policyId: row.policy_id,
  };
}

function toRow(license: LicenseRecord): LicensesTable {
  return {
    id: license.id,
    serial_number: license.serialNumber,
    key: license.key,
    key_scheme: license.keyScheme,
    account_id: license.accountId,
    product_id: license.productId,
    kind: license.kind,
    service: license.service,
    group_name: license.group,
    term: license.term,
    metric_id: license.metricId,
    quantity: license.quantity,
    features: JSON.stringify(license.features),
    base_license: license.baseLicense ? 1 : 0,
    description: license.description,
    created_at: license.createdAt,
    updated_at: license.updatedAt,
    starts_at: license.startsAt,
    activated_at: license.activatedAt,
    expires_at: license.expiresAt,
    grace_days: license.graceDays,
    seat_limit: license.seatLimit,
    state: license.state,
    deactivated_key: license.deactivatedKey,
    order_id: license.orderId,
    sku: license.sku,
    labels: JSON.stringify(license.labels),
  };
}

export type LicenseRef = { id: string } | { serialNumber: number } | { key: string };

/**
 * Inside a write transaction on PostgreSQL a license read locks the license row first (`for
 * update`), in a statement of its own, so the read that follows sees every activation committed
 * before the lock was granted: a seat check and the activation it allows are atomic across
 * transactions and processes. SQLite has one writer at a time and needs no lock.
 */
async function lockLicense(db: Executor, ref: LicenseRef): Promise<void> {
  if (!db.isTransaction || dialectOf(db) !== 'postgres') return;
  const query = db.selectFrom('licenses').select('id').forUpdate();
  await (
    'id' in ref
      ? query.where('id', '=', ref.id)
      : 'serialNumber' in ref
        ? query.where('serial_number', '=', ref.serialNumber)
        : query.where('key', '=', ref.key)
  ).execute();
}

export async function findLicense(
  db: Executor,
  ref: LicenseRef,
): Promise<LicenseRecord | undefined> {
  await lockLicense(db, ref);
  const query = selectLicenses(db);
  const row = await (
    'id' in ref
      ? query.where('licenses.id', '=', ref.id)
      : 'serialNumber' in ref
        ? query.where('serial_number', '=', ref.serialNumber)
        : query.where('key', '=', ref.key)
  ).executeTakeFirst();
  return row && toRecord(row);
}

/** A license's binding to a policy, as validation reads it with the license. */
export interface BoundPolicy {
  policyId: string;
  /** JSON of the license's overrides. */
  overrides: string;
  clockStartedAt: string | null;
}

/** What validation needs of the calling instance: who owns it, its fingerprint, when it was seen. */
export interface CallingInstance {
  id: string;
  accountId: string;
  fingerprint: string | null;
  lastSeenAt: string | null;
}

/**
 * The license of a key, whether it is activated on an instance, its policy binding and the calling
 * instance itself (undefined when there is no such instance), in one query: what validation needs
 * on every call.
 */
export async function findLicenseForValidation(
  db: Executor,
  key: string,
  instanceId: string | null,
): Promise<
  | {
      license: LicenseRecord;
      activatedOnInstance: boolean;
      policy: BoundPolicy | null;
      instance: CallingInstance | undefined;
    }
  | undefined
> {
  const [row] = await licenseForValidation(db, [instanceId ?? '', instanceId ?? '', key]);
  if (row === undefined) return undefined;
  return {
    license: toRecord(row),
    activatedOnInstance: row.activated_here > 0,
    policy:
      row.policy_id === null
        ? null
        : {
            policyId: row.policy_id,
            overrides: row.bound_overrides ?? '{}',
            clockStartedAt: row.bound_clock_started_at,
          },
    instance:
      row.calling_instance_id === null || row.calling_account_id === null
        ? undefined
        : {
            id: row.calling_instance_id,
            accountId: row.calling_account_id,
            fingerprint: row.calling_fingerprint,
            lastSeenAt: row.calling_last_seen_at,
          },
  };
}

/** Parameters: the instance id ('' for none) twice, then the key. */
const licenseForValidation = preparedQuery((db) =>
  selectLicenses(db)
    .leftJoin('instances as ci', (join) => join.on('ci.id', '=', ''))
    .select(
      sql<number>`(select count(*) from activations a where a.license_id = licenses.id and a.instance_id = ${''} and a.deactivated_at is null)`.as(
        'activated_here',
      ),
    )
    .select([
      'lp.overrides as bound_overrides',
      'lp.clock_started_at as bound_clock_started_at',
      'ci.id as calling_instance_id',
      'ci.account_id as calling_account_id',
      'ci.fingerprint as calling_fingerprint',
      'ci.last_seen_at as calling_last_seen_at',
    ])
    .where('licenses.key', '=', ''),
);

/**
 * The license of a key and its activations on one instance, in one query: how many there ever
 * were (installed here, now or before) and how many are live. What HP's `?key=` asks.
 */
export async function findLicenseOnInstance(
  db: Executor,
  key: string,
  instanceId: string,
): Promise<{ license: LicenseRecord; installed: number; live: number } | undefined> {
  const [row] = await licenseOnInstance(db, [instanceId, instanceId, key]);
  if (row === undefined) return undefined;
  return { license: toRecord(row), installed: row.installed, live: row.live };
}

/** Parameters: the instance id twice, then the key. */
const licenseOnInstance = preparedQuery((db) =>
  selectLicenses(db)
    .select([
      sql<number>`(select count(*) from activations a where a.license_id = licenses.id and a.instance_id = ${''})`.as(
        'installed',
      ),
      sql<number>`(select count(*) from activations a where a.license_id = licenses.id and a.instance_id = ${''} and a.deactivated_at is null)`.as(
        'live',
      ),
    ])
    .where('key', '=', ''),
);

export async function listLicenses(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
): Promise<Page<LicenseRecord>> {
  let base = selectLicenses(db);
  if (scope !== null) base = base.where('account_id', 'in', scope.length > 0 ? [...scope] : ['']);
  const page = await listPage(base, licensesCollection, query);
  return { ...page, rows: page.rows.map(toRecord) };
}

/**
 * What compliance needs of every license of an account, and nothing more: no seat counts, no
 * labels (an account may hold tens of thousands of licenses).
 */
export async function licenseFactsOfAccount(
  db: Executor,
  accountId: string,
): Promise<LicenseFacts[]> {
  const rows = await db
    .selectFrom('licenses')
    .select([
      'id',
      'product_id',
      'metric_id',
      'quantity',
      'term',
      'state',
      'starts_at',
      'expires_at',
      'grace_days',
      'features',
    ])
    .where('account_id', '=', accountId)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    productId: row.product_id,
    metricId: row.metric_id,
    quantity: row.quantity,
    term: row.term as LicenseTerm,
    state: row.state as LicenseState,
    startsAt: row.starts_at,
    expiresAt: row.expires_at,
    graceDays: row.grace_days,
    features: row.features === '[]' ? [] : (JSON.parse(row.features) as string[]),
  }));
}

/** Licenses of a product in an account scope (for is-licensed and compliance). */
export async function licensesOfProduct(
  db: Executor,
  productId: number,
  accounts: readonly string[] | null,
): Promise<LicenseRecord[]> {
  let query = selectLicenses(db).where('product_id', '=', productId);
  if (accounts !== null)
    query = query.where('account_id', 'in', accounts.length > 0 ? [...accounts] : ['']);
  return (await query.execute()).map(toRecord);
}

/** Licenses with a live activation on the instance. */
/** The licenses live on an instance, each with when its live activation there began; by serial. */
export async function liveOnInstance(
  db: Executor,
  instanceId: string,
): Promise<{ license: LicenseRecord; activatedAt: string }[]> {
  const rows = await licensesLiveOnInstance(db, [instanceId]);
  return rows.map((row) => ({ license: toRecord(row), activatedAt: row.activated_here_at }));
}

/** Parameters: the instance id. */
const licensesLiveOnInstance = preparedQuery((db) =>
  selectLicenses(db)
    .innerJoin('activations as here', 'here.license_id', 'licenses.id')
    .select('here.activated_at as activated_here_at')
    .where('here.instance_id', '=', '')
    .where('here.deactivated_at', 'is', null)
    .orderBy('serial_number'),
);

export async function licensesOnInstance(
  db: Executor,
  instanceId: string,
  options: { includeEnded?: boolean } = {},
): Promise<LicenseRecord[]> {
  // `id in (…)` walks the instance's activations by index; `exists` would scan every license.
  const rows = await selectLicenses(db)
    .where('licenses.id', 'in', (eb) =>
      eb
        .selectFrom('activations')
        .select('activations.license_id')
        .where('activations.instance_id', '=', instanceId)
        .$if(options.includeEnded !== true, (qb) =>
          qb.where('activations.deactivated_at', 'is', null),
        ),
    )
    .orderBy('serial_number')
    .execute();
  return rows.map(toRecord);
}

export async function insertLicense(db: Executor, license: LicenseRecord): Promise<void> {
  try {
    await db.insertInto('licenses').values(toRow(license)).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new Conflict('A license with this key already exists.', [
        { name: 'key', reason: 'another license has this key' },
      ]);
    }
    throw error;
  }
}

export async function updateLicense(db: Executor, license: LicenseRecord): Promise<void> {
  const { id, ...row } = toRow(license);
  await db.updateTable('licenses').set(row).where('id', '=', id).execute();
}

export async function deleteLicense(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('licenses').where('id', '=', id).execute();
}

export interface ActivationRecord {
  instanceId: string;
  installId: number;
  deviceSerial: string;
  activatedAt: string;
  deactivatedAt: string | null;
}

export async function liveActivation(
  db: Executor,
  licenseId: string,
  instanceId: string,
): Promise<{ activatedAt: string } | undefined> {
  const row = await db
    .selectFrom('activations')
    .select('activated_at')
    .where('license_id', '=', licenseId)
    .where('instance_id', '=', instanceId)
    .where('deactivated_at', 'is', null)
    .executeTakeFirst();
  return row && { activatedAt: row.activated_at };
}

export async function insertActivation(
  db: Executor,
  licenseId: string,
  instanceId: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('activations')
    .values({
      license_id: licenseId,
      instance_id: instanceId,
      activated_at: at,
      deactivated_at: null,
    })
    .execute();
}

/** Ends the live activations of a license (on one instance, or all); returns how many ended. */
export async function endActivations(
  db: Executor,
  licenseId: string,
  instanceId: string | null,
  at: string,
): Promise<number> {
  let query = db
    .updateTable('activations')
    .set({ deactivated_at: at })
    .where('license_id', '=', licenseId)
    .where('deactivated_at', 'is', null);
  if (instanceId !== null) query = query.where('instance_id', '=', instanceId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listActivations(
  db: Executor,
  licenseId: string,
): Promise<ActivationRecord[]> {
  const rows = await db
    .selectFrom('activations')
    .innerJoin('instances', 'instances.id', 'activations.instance_id')
    .select([
      'activations.instance_id',
      'instances.install_id',
      'instances.device_serial',
      'activations.activated_at',
      'activations.deactivated_at',
    ])
    .where('activations.license_id', '=', licenseId)
    .orderBy('activations.id')
    .execute();
  return rows.map((row) => ({
    instanceId: row.instance_id,
    installId: row.install_id,
    deviceSerial: row.device_serial,
    activatedAt: row.activated_at,
    deactivatedAt: row.deactivated_at,
  }));
}

/** Distinct instances with a live activation of a product's licenses, in an account scope. */
export async function activeInstancesOfProduct(
  db: Executor,
  productId: number,
  accounts: readonly string[] | null,
): Promise<number> {
  let query = db
    .selectFrom('activations')
    .innerJoin('licenses', 'licenses.id', 'activations.license_id')
    .select(sql<number | string | bigint>`count(distinct activations.instance_id)`.as('n'))
    .where('licenses.product_id', '=', productId)
    .where('activations.deactivated_at', 'is', null);
  if (accounts !== null)
    query = query.where('licenses.account_id', 'in', accounts.length > 0 ? [...accounts] : ['']);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}
