import { randomUUID } from 'node:crypto';
import { Conflict, InvalidFields, InvalidParams, NotFound } from '../domain/errors.js';
import { accountScope, requireAccount, requireRole, type Principal } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import {
  computeCharge,
  newSubscription,
  replaceSubscription,
  statusTransition,
  subscriptionResource,
  type Charge,
  type ChargeMetric,
  type Subscription,
  type SubscriptionCreate,
  type SubscriptionRecord,
  type SubscriptionReplace,
} from '../domain/subscription.js';
import { findAccount, missingAccounts } from '../store/accounts.repository.js';
import {
  chargesCollection,
  insertCharge,
  listCharges,
  voidPendingCharges,
} from '../store/charges.repository.js';
import type { Executor, Store, Tx } from '../store/database.js';
import type { Page } from '../store/list.js';
import { findProduct } from '../store/products.repository.js';
import { nextValue } from '../store/sequences.repository.js';
import {
  deleteSubscription,
  findSubscription,
  insertSubscription,
  listSubscriptions,
  subscriptionsCollection,
  updateSubscription,
} from '../store/subscriptions.repository.js';
import { usedInPeriod } from '../store/usage.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';

/**
 * How much of a product's metrics of one unit the accounts used in `[from, to)`. A charge reads
 * it inside the cancelling transaction.
 */
export interface UsageReader {
  used(
    db: Executor,
    accountIds: readonly string[],
    productId: number | null,
    metricUnit: ChargeMetric,
    from: string,
    to: string,
  ): Promise<number>;
}

/**
 * Usage from the usage store: the product's metrics counted in the unit (`apps`, `namespaces`),
 * summed over the accounts. A subscription without a product has no metered usage.
 */
export const storeUsageReader: UsageReader = {
  async used(db, accountIds, productId, metricUnit, from, to) {
    if (productId === null) return 0;
    const product = await findProduct(db, productId);
    const metricIds = (product?.metrics ?? [])
      .filter((metric) => metric.unit === metricUnit)
      .map((metric) => metric.id);
    return usedInPeriod(db, accountIds, productId, metricIds, from, to);
  },
};

const READERS = ['operator', 'admin', 'viewer', 'service'] as const;

/** `If-Match`: `"3"`, `W/"3"`, `3` or `*`. Anything else is a bad header. */
export function parseIfMatch(header: string | undefined): number | '*' | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '*') return '*';
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (match?.[1] === undefined) {
    throw new InvalidParams([{ name: 'If-Match', reason: 'expected the revision, e.g. "3"' }]);
  }
  return Number(match[1]);
}

/** The subscription a principal may see: one of its accounts is the principal's; else missing. */
async function visibleSubscription(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<SubscriptionRecord> {
  const found = await findSubscription(db, id);
  if (
    found === undefined ||
    (principal.accounts !== '*' && !found.accounts.some((a) => principal.accounts.includes(a)))
  ) {
    throw new NotFound('Subscription', id);
  }
  return found;
}

function checkRevision(current: SubscriptionRecord, ifMatch: string | undefined): void {
  const expected = parseIfMatch(ifMatch);
  if (expected !== null && expected !== '*' && expected !== current.revision) {
    throw new Conflict(
      `Subscription '${current.id}' is at revision ${String(current.revision)}, not ${String(expected)}; read it again and retry.`,
    );
  }
}

export function subscriptionService(store: Store, usage: UsageReader = storeUsageReader) {
  async function checkReferences(
    tx: Tx,
    input: { accounts?: readonly string[] | undefined; productId?: number | null | undefined },
  ): Promise<void> {
    const issues = [];
    if (input.accounts !== undefined) {
      for (const missing of await missingAccounts(tx, input.accounts)) {
        issues.push({
          name: `accounts.${String(input.accounts.indexOf(missing))}`,
          reason: `no such account: ${missing}`,
        });
      }
    }
    if (
      input.productId !== undefined &&
      input.productId !== null &&
      (await findProduct(tx, input.productId)) === undefined
    ) {
      issues.push({ name: 'productId', reason: `no such product: ${String(input.productId)}` });
    }
    if (issues.length > 0) throw new InvalidFields(issues);
  }

  /** What the period `[periodStart, at)` costs: one code path for the charge and its preview. */
  async function price(db: Executor, subscription: SubscriptionRecord, at: string) {
    const used = { apps: 0, namespaces: 0 };
    for (const metric of ['apps', 'namespaces'] as const) {
      used[metric] = await usage.used(
        db,
        subscription.accounts,
        subscription.productId,
        metric,
        subscription.periodStart,
        at,
      );
    }
    return computeCharge({
      terms: subscription.terms,
      costPerAppUnitMicros: subscription.costPerAppUnitMicros,
      costPerNamespaceUnitMicros: subscription.costPerNamespaceUnitMicros,
      used,
    });
  }

  /** The pending charge of the period that ends now, written with its event. */
  async function charge(
    tx: Tx,
    ctx: ServiceContext,
    subscription: SubscriptionRecord,
    at: string,
  ): Promise<Charge> {
    const { amountMicros, lines } = await price(tx, subscription, at);
    const billed = subscription.accounts[0] ?? '';
    const created: Charge = {
      id: randomUUID(),
      subscriptionId: subscription.id,
      accountId: billed,
      amountMicros,
      currency: 'USD',
      breakdown: lines,
      periodStart: subscription.periodStart,
      periodEnd: at,
      status: 'pending',
      createdAt: at,
      voidedAt: null,
    };
    await insertCharge(tx, created);
    await recordChange(tx, ctx, {
      type: 'charge.created',
      accountId: billed,
      resourceType: 'charge',
      resourceId: created.id,
      after: created,
    });
    return created;
  }

  /**
   * Moves `current` to `next` under the state machine: cancelling stamps `cancelledAt` and
   * charges the period; reactivating starts a new period. Writes the row only if nobody changed
   * it meanwhile, then the events.
   */
  async function commit(
    tx: Tx,
    ctx: ServiceContext,
    current: SubscriptionRecord,
    proposed: SubscriptionRecord,
    eventType: string,
  ): Promise<SubscriptionRecord> {
    const now = ctx.clock.now();
    const at = now.toISOString();
    const transition = statusTransition(current.status, proposed.status, current, now);
    if (!transition.ok) {
      throw new Conflict(transition.reason, [{ name: 'status', reason: transition.reason }]);
    }
    const next: SubscriptionRecord =
      transition.kind === 'cancel'
        ? { ...proposed, cancelledAt: at }
        : transition.kind === 'reactivate'
          ? { ...proposed, cancelledAt: null, periodStart: at }
          : proposed;
    const accountsChanged = next.accounts.join('\n') !== current.accounts.join('\n');
    if (!(await updateSubscription(tx, next, current.revision, accountsChanged))) {
      throw new Conflict(
        `Subscription '${current.id}' was changed meanwhile; read it again and retry.`,
      );
    }
    await recordChange(tx, ctx, {
      type: eventType,
      accountId: next.accounts[0] ?? null,
      resourceType: 'subscription',
      resourceId: next.id,
      before: forAudit(current),
      after: forAudit(next),
    });
    if (transition.kind === 'cancel') {
      if (eventType !== 'subscription.cancelled') {
        await recordChange(tx, ctx, {
          type: 'subscription.cancelled',
          accountId: next.accounts[0] ?? null,
          resourceType: 'subscription',
          resourceId: next.id,
        });
      }
      await charge(tx, ctx, current, at);
    }
    if (transition.kind === 'reactivate') {
      await recordChange(tx, ctx, {
        type: 'subscription.reactivated',
        accountId: next.accounts[0] ?? null,
        resourceType: 'subscription',
        resourceId: next.id,
      });
    }
    return next;
  }

  return {
    /**
     * The pending charge of `subscription`'s period ending at `at`, with its event, in the
     * caller's transaction: the lifecycle charges a period its expiry closes (services/lifecycle.ts).
     */
    chargePeriod: charge,

    /** Creates a subscription (operators). Its accounts and product must exist. */
    create(ctx: ServiceContext, input: SubscriptionCreate): Promise<Subscription> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('subscription.create', async (tx) => {
        await checkReferences(tx, input);
        const record = newSubscription(input, {
          id: randomUUID(),
          number: await nextValue(tx, 'subscription_number', 1),
          now: ctx.clock.now(),
          actor: ctx.principal.subject,
        });
        await insertSubscription(tx, record);
        await recordChange(tx, ctx, {
          type: 'subscription.created',
          accountId: record.accounts[0] ?? null,
          resourceType: 'subscription',
          resourceId: record.id,
          after: forAudit(record),
        });
        return subscriptionResource(record);
      });
    },

    async list(ctx: ServiceContext, params: RawListParams): Promise<Page<Subscription>> {
      requireRole(ctx.principal, READERS);
      const query = parseListQuery(subscriptionsCollection, params);
      const page = await store.read((db) =>
        listSubscriptions(db, accountScope(ctx.principal), query),
      );
      return { ...page, rows: page.rows.map(subscriptionResource) };
    },

    async get(ctx: ServiceContext, id: string): Promise<Subscription> {
      requireRole(ctx.principal, READERS);
      return subscriptionResource(
        await store.read((db) => visibleSubscription(db, ctx.principal, id)),
      );
    },

    /**
     * PUT (operators): replaces the writable fields (see `replaceSubscription`). A body `id` must
     * be the path's; `If-Match` must name the current revision; `status: inactive` cancels and
     * charges, `status: active` reactivates within the grace period — anything else is a 409.
     */
    replace(
      ctx: ServiceContext,
      id: string,
      input: SubscriptionReplace,
      ifMatch?: string,
    ): Promise<Subscription> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('subscription.replace', async (tx) => {
        const current = await visibleSubscription(tx, ctx.principal, id);
        checkRevision(current, ifMatch);
        if (input.id !== undefined && input.id !== current.id) {
          throw new Conflict('The body id conflicts with the subscription being replaced.', [
            { name: 'id', reason: `must be ${current.id}` },
          ]);
        }
        await checkReferences(tx, input);
        const proposed = replaceSubscription(current, input, {
          now: ctx.clock.now(),
          actor: ctx.principal.subject,
        });
        return subscriptionResource(
          await commit(tx, ctx, current, proposed, 'subscription.updated'),
        );
      });
    },

    /**
     * Cancels (operators, or an admin of one of its accounts): status `inactive` and one pending
     * charge for the period, in one transaction. Cancelling twice is a 409.
     */
    cancel(ctx: ServiceContext, id: string, ifMatch?: string): Promise<Subscription> {
      requireRole(ctx.principal, ['operator', 'admin']);
      return store.transaction('subscription.cancel', async (tx) => {
        const current = await visibleSubscription(tx, ctx.principal, id);
        checkRevision(current, ifMatch);
        if (current.status === 'inactive') {
          throw new Conflict(`Subscription '${id}' is already cancelled.`, [
            { name: 'status', reason: 'already inactive' },
          ]);
        }
        const at = ctx.clock.now().toISOString();
        const proposed: SubscriptionRecord = {
          ...current,
          status: 'inactive',
          modifiedAt: at,
          modifiedBy: ctx.principal.subject,
          revision: current.revision + 1,
        };
        return subscriptionResource(
          await commit(tx, ctx, current, proposed, 'subscription.cancelled'),
        );
      });
    },

    /**
     * Read-only: the charge cancelling now would record (readers of one of its accounts), so a
     * person sees the amount before confirming. Nothing is written; an inactive subscription is a
     * 409 as cancelling it would be.
     */
    async cancelPreview(
      ctx: ServiceContext,
      id: string,
    ): Promise<Omit<Charge, 'id' | 'status' | 'createdAt' | 'voidedAt'>> {
      requireRole(ctx.principal, READERS);
      return store.read(async (db) => {
        const current = await visibleSubscription(db, ctx.principal, id);
        if (current.status === 'inactive') {
          throw new Conflict(`Subscription '${id}' is already cancelled.`, [
            { name: 'status', reason: 'already inactive' },
          ]);
        }
        const at = ctx.clock.now().toISOString();
        const { amountMicros, lines } = await price(db, current, at);
        return {
          subscriptionId: current.id,
          accountId: current.accounts[0] ?? '',
          amountMicros,
          currency: 'USD' as const,
          breakdown: lines,
          periodStart: current.periodStart,
          periodEnd: at,
        };
      });
    },

    /** Deletes (operators): its pending charges are voided, and kept for billing's records. */
    async remove(ctx: ServiceContext, id: string): Promise<void> {
      requireRole(ctx.principal, ['operator']);
      await store.transaction('subscription.delete', async (tx) => {
        const current = await visibleSubscription(tx, ctx.principal, id);
        const at = ctx.clock.now().toISOString();
        const voided = await voidPendingCharges(tx, id, at);
        await deleteSubscription(tx, id);
        await recordChange(tx, ctx, {
          type: 'subscription.deleted',
          accountId: current.accounts[0] ?? null,
          resourceType: 'subscription',
          resourceId: id,
          before: forAudit(current),
        });
        for (const charge of voided) {
          await recordChange(tx, ctx, {
            type: 'charge.voided',
            accountId: charge.accountId,
            resourceType: 'charge',
            resourceId: charge.id,
            before: charge,
            after: { ...charge, status: 'void', voidedAt: at },
          });
        }
      });
    },

    /** Charges billed to an account. */
    async accountCharges(
      ctx: ServiceContext,
      accountId: string,
      params: RawListParams,
    ): Promise<Page<Charge>> {
      requireRole(ctx.principal, READERS);
      requireAccount(ctx.principal, 'Account', accountId);
      const query = parseListQuery(chargesCollection, params);
      return store.read(async (db) => {
        if ((await findAccount(db, accountId)) === undefined) {
          throw new NotFound('Account', accountId);
        }
        return listCharges(db, { accountId }, query);
      });
    },

    /** Charges of a subscription the principal may see. */
    async subscriptionCharges(
      ctx: ServiceContext,
      id: string,
      params: RawListParams,
    ): Promise<Page<Charge>> {
      requireRole(ctx.principal, READERS);
      const query = parseListQuery(chargesCollection, params);
      return store.read(async (db) => {
        await visibleSubscription(db, ctx.principal, id);
        return listCharges(db, { subscriptionId: id }, query);
      });
    },
  };
}

/** The audit log keeps what changed, not the payer's name and address. */
function forAudit(
  record: SubscriptionRecord,
): Omit<SubscriptionRecord, 'paymentFirstName' | 'paymentLastName' | 'paymentAddress'> {
  const {
    paymentFirstName: _first,
    paymentLastName: _last,
    paymentAddress: _address,
    ...rest
  } = record;
  return rest;
}
