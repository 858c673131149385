import { sql } from 'kysely';
import type { Lease, Policy, PolicyOverrides, PolicyTerms } from '../domain/policy.js';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type { LeasesTable, PoliciesTable } from './schema.js';

export const policiesCollection: CollectionSpec = {
  name: 'policies',
  fields: {
    id: { type: 'string', column: 'id' },
    productId: { type: 'integer', column: 'product_id' },
    name: { type: 'string', column: 'name' },
    createdAt: { type: 'timestamp', column: 'created_at' },
    updatedAt: { type: 'timestamp', column: 'updated_at' },
  },
  key: 'id',
  defaultOrder: [{ field: 'createdAt', direction: 'desc' }],
  includable: [],
  defaultLimit: 100,
  maxLimit: 1000,
};

function toPolicy(row: PoliciesTable): Policy {
  return {
    id: row.id,
    productId: row.product_id,
    name: row.name,
    description: row.description,
    ...(JSON.parse(row.terms) as PolicyTerms),
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(policy: Policy, terms: PolicyTerms): PoliciesTable {
  return {
    id: policy.id,
    product_id: policy.productId,
    name: policy.name,
    description: policy.description,
    terms: JSON.stringify(terms),
    revision: policy.revision,
    created_at: policy.createdAt,
    updated_at: policy.updatedAt,
  };
}

export async function insertPolicy(db: Executor, policy: Policy, terms: PolicyTerms) {
  await db.insertInto('policies').values(toRow(policy, terms)).execute();
}

/** Writes a changed policy if its revision is still `expected`; false when someone was first. */
export async function updatePolicy(
  db: Executor,
  policy: Policy,
  terms: PolicyTerms,
  expected: number,
): Promise<boolean> {
  const { id: _id, created_at: _created, ...changed } = toRow(policy, terms);
  const result = await db
    .updateTable('policies')
    .set(changed)
    .where('id', '=', policy.id)
    .where('revision', '=', expected)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function findPolicy(db: Executor, id: string): Promise<Policy | undefined> {
  const row = await db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toPolicy(row);
}

export async function deletePolicy(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('policies').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

export async function listPolicies(db: Executor, query: ListQuery): Promise<Page<Policy>> {
  const page = await listPage(db.selectFrom('policies').selectAll(), policiesCollection, query);
  return { ...page, rows: page.rows.map(toPolicy) };
}

export async function countLicensesOfPolicy(db: Executor, policyId: string): Promise<number> {
  const row = await db
    .selectFrom('license_policies')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('policy_id', '=', policyId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

// ---------------------------------------------------------------------------------------------
// A license's policy

export interface PolicyBinding {
  policyId: string;
  overrides: PolicyOverrides;
  /** When the term's clock started; null while it waits for a first activation or validation. */
  clockStartedAt: string | null;
}

export async function findBinding(
  db: Executor,
  licenseId: string,
): Promise<PolicyBinding | undefined> {
  const row = await db
    .selectFrom('license_policies')
    .select(['policy_id', 'overrides', 'clock_started_at'])
    .where('license_id', '=', licenseId)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : {
        policyId: row.policy_id,
        overrides: JSON.parse(row.overrides) as PolicyOverrides,
        clockStartedAt: row.clock_started_at,
      };
}

/** Binds a license to a policy (or changes its binding): one row per license. */
export async function bindPolicy(db: Executor, licenseId: string, binding: PolicyBinding) {
  const overrides = JSON.stringify(binding.overrides);
  const values = {
    policy_id: binding.policyId,
    overrides,
    clock_started_at: binding.clockStartedAt,
  };
  await db
    .insertInto('license_policies')
    .values({ license_id: licenseId, ...values })
    .onConflict((conflict) => conflict.column('license_id').doUpdateSet(values))
    .execute();
}

/**
 * Starts a waiting clock: true for the one caller that set it (concurrent first validations in
 * several processes start it once).
 */
export async function startClock(db: Executor, licenseId: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('license_policies')
    .set({ clock_started_at: at })
    .where('license_id', '=', licenseId)
    .where('clock_started_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The licenses bound to a policy with their bindings, a page at a time (keyset on license id). */
export async function bindingsOfPolicy(
  db: Executor,
  policyId: string,
  after: string | null,
  limit: number,
): Promise<(PolicyBinding & { licenseId: string })[]> {
  let query = db
    .selectFrom('license_policies')
    .select(['license_id', 'policy_id', 'overrides', 'clock_started_at'])
    .where('policy_id', '=', policyId)
    .orderBy('license_id')
    .limit(limit);
  if (after !== null) query = query.where('license_id', '>', after);
  const rows = await query.execute();
  return rows.map((row) => ({
    licenseId: row.license_id,
    policyId: row.policy_id,
    overrides: JSON.parse(row.overrides) as PolicyOverrides,
    clockStartedAt: row.clock_started_at,
  }));
}

export async function unbindPolicy(db: Executor, licenseId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('license_policies')
    .where('license_id', '=', licenseId)
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

// ---------------------------------------------------------------------------------------------
// Leases

export interface LeaseRecord extends Lease {
  licenseId: string;
  accountId: string;
  createdAt: string;
}

function toLease(row: LeasesTable): LeaseRecord {
  return {
    id: row.id,
    licenseId: row.license_id,
    instanceId: row.instance_id,
    accountId: row.account_id,
    expiresAt: row.expires_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    createdAt: row.created_at,
  };
}

/** The leases of a license, oldest first. */
export async function leasesOf(db: Executor, licenseId: string): Promise<LeaseRecord[]> {
  const rows = await db
    .selectFrom('leases')
    .selectAll()
    .where('license_id', '=', licenseId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toLease);
}

/** The lease an instance holds on a license, dead or alive. */
export async function leaseOfInstance(
  db: Executor,
  licenseId: string,
  instanceId: string,
): Promise<LeaseRecord | undefined> {
  const row = await db
    .selectFrom('leases')
    .selectAll()
    .where('license_id', '=', licenseId)
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return row === undefined ? undefined : toLease(row);
}

export async function findLease(
  db: Executor,
  licenseId: string,
  leaseId: string,
): Promise<LeaseRecord | undefined> {
  const row = await db
    .selectFrom('leases')
    .selectAll()
    .where('license_id', '=', licenseId)
    .where('id', '=', leaseId)
    .executeTakeFirst();
  return row === undefined ? undefined : toLease(row);
}

/**
 * Writes a lease: a new one, or the renewal of the instance's row (one lease row per license and
 * instance; a dead one is replaced).
 */
export async function saveLease(db: Executor, lease: LeaseRecord): Promise<void> {
  await db
    .insertInto('leases')
    .values({
      id: lease.id,
      license_id: lease.licenseId,
      instance_id: lease.instanceId,
      account_id: lease.accountId,
      expires_at: lease.expiresAt,
      last_heartbeat_at: lease.lastHeartbeatAt,
      created_at: lease.createdAt,
    })
    .onConflict((conflict) =>
      conflict.columns(['license_id', 'instance_id']).doUpdateSet({
        id: lease.id,
        expires_at: lease.expiresAt,
        last_heartbeat_at: lease.lastHeartbeatAt,
        created_at: lease.createdAt,
      }),
    )
    .execute();
}

export async function deleteLease(db: Executor, leaseId: string): Promise<boolean> {
  const result = await db.deleteFrom('leases').where('id', '=', leaseId).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/**
 * Licenses with a lease that may be dead at `now`: expired ones for sure, and any lease whose
 * last heartbeat is older than `beatBefore` (the shortest heartbeat window of any policy); the
 * reclaim pass decides each with the license's own terms. Keyset paged by license id.
 */
export async function licensesWithStaleLeases(
  db: Executor,
  now: string,
  beatBefore: string,
  after: string | null,
  limit: number,
): Promise<string[]> {
  let query = db
    .selectFrom('leases')
    .select('license_id')
    .distinct()
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_heartbeat_at', '<', beatBefore)]));
  if (after !== null) query = query.where('license_id', '>', after);
  const rows = await query.orderBy('license_id').limit(limit).execute();
  return rows.map((row) => row.license_id);
}

/** A live activation of a policy-bound license and when its instance was last heard from. */
export interface QuietActivation {
  licenseId: string;
  instanceId: string;
  installId: number;
  /** The instance's last sign of life since the activation (the activation itself at least). */
  lastSeenAt: string;
}

/** Every policy of the catalog (an operator's few: a dead-instance pass reads them all). */
export async function allPolicies(db: Executor): Promise<Policy[]> {
  const rows = await db.selectFrom('policies').selectAll().execute();
  return rows.map(toPolicy);
}

/**
 * Live activations of licenses bound to one of `policyIds`, or with overrides of their own, whose
 * instance has been quiet since `quietBefore` (last seen, or activated, before it): the
 * candidates a dead-instance pass decides with each license's own heartbeat. Keyset paged by
 * (license, instance).
 */
export async function quietActivations(
  db: Executor,
  policyIds: readonly string[],
  quietBefore: string,
  after: { licenseId: string; instanceId: string } | null,
  limit: number,
): Promise<QuietActivation[]> {
  const lastSeen = sql<string>`case when i.last_seen_at is null or i.last_seen_at < a.activated_at then a.activated_at else i.last_seen_at end`;
  let query = db
    .selectFrom('activations as a')
    .innerJoin('license_policies as lp', 'lp.license_id', 'a.license_id')
    .innerJoin('instances as i', 'i.id', 'a.instance_id')
    .select(['a.license_id', 'a.instance_id', 'i.install_id', lastSeen.as('last_seen')])
    .where('a.deactivated_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(policyIds.length > 0 ? [eb('lp.policy_id', 'in', [...policyIds])] : []),
        eb('lp.overrides', '!=', '{}'),
      ]),
    )
    .where(lastSeen, '<', quietBefore);
  if (after !== null) {
    query = query.where((eb) =>
      eb.or([
        eb('a.license_id', '>', after.licenseId),
        eb.and([
          eb('a.license_id', '=', after.licenseId),
          eb('a.instance_id', '>', after.instanceId),
        ]),
      ]),
    );
  }
  const rows = await query.orderBy('a.license_id').orderBy('a.instance_id').limit(limit).execute();
  return rows.map((row) => ({
    licenseId: row.license_id,
    instanceId: row.instance_id,
    installId: row.install_id,
    lastSeenAt: row.last_seen,
  }));
}
