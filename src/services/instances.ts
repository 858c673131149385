import { randomBytes, randomUUID } from 'node:crypto';
import { Conflict, Forbidden, NotFound } from '../domain/errors.js';
import {
  deviceSerialFrom,
  installIdFrom,
  type Instance,
  type InstanceCreate,
  type InstancePatch,
} from '../domain/instance.js';
import {
  accountScope,
  canSeeAccount,
  requireAccount,
  requireRole,
  type Principal,
} from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import { findAccount } from '../store/accounts.repository.js';
import type { Executor, Store } from '../store/database.js';
import {
  deleteInstance,
  findInstance,
  insertInstance,
  instancesCollection,
  listInstances,
  touchInstance,
  updateInstance,
} from '../store/instances.repository.js';
import type { Page } from '../store/list.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';

const GENERATION_ATTEMPTS = 5;

/**
 * The instance a principal may see: in its accounts and, for an instance token, itself only.
 * Anything else answers as missing.
 */
export async function visibleInstance(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<Instance> {
  return seenBy(principal, id, await findInstance(db, id));
}

/** `instance` (read as `id`) when the principal may see it; otherwise it is missing. */
export function seenBy<T extends { accountId: string }>(
  principal: Principal,
  id: string,
  instance: T | undefined,
): T {
  if (
    instance === undefined ||
    !canSeeAccount(principal, instance.accountId) ||
    (principal.role === 'instance' && principal.instance !== id)
  ) {
    throw new NotFound('Instance', id);
  }
  return instance;
}

/** Installs register as instances (admins, operators, provisioning services); they read themselves. */
export function instanceService(store: Store) {
  return {
    async create(ctx: ServiceContext, input: InstanceCreate): Promise<Instance> {
      requireAccount(ctx.principal, 'Account', input.accountId);
      requireRole(ctx.principal, ['operator', 'admin', 'service']);
      return store.transaction('instance.create', async (tx) => {
        if ((await findAccount(tx, input.accountId)) === undefined) {
          throw new NotFound('Account', input.accountId);
        }
        const now = ctx.clock.now().toISOString();
        const instance = await insertWithFreshIds(
          tx,
          {
            id: randomUUID(),
            accountId: input.accountId,
            installId: input.installId ?? installIdFrom(randomBytes(4)),
            deviceSerial: input.deviceSerial ?? deviceSerialFrom(randomBytes(16)),
            name: input.name ?? '',
            hostname: input.hostname ?? null,
            fingerprint: input.fingerprint ?? null,
            labels: input.labels ?? {},
            createdAt: now,
            updatedAt: now,
            lastSeenAt: null,
          },
          input,
        );
        await recordChange(tx, ctx, {
          type: 'instance.created',
          accountId: instance.accountId,
          resourceType: 'instance',
          resourceId: instance.id,
          after: instance,
        });
        return instance;
      });
    },

    list(ctx: ServiceContext, params: RawListParams): Promise<Page<Instance>> {
      const query = parseListQuery(instancesCollection, params);
      // An instance token lists itself only: filtered in SQL, so counts and pages agree.
      const only = ctx.principal.role === 'instance' ? (ctx.principal.instance ?? '') : undefined;
      return store.read((db) => listInstances(db, accountScope(ctx.principal), query, only));
    },

    get(ctx: ServiceContext, id: string): Promise<Instance> {
      return store.read((db) => visibleInstance(db, ctx.principal, id));
    },

    /**
     * A sign of life: the instance is seen now. Licenses whose policy asks for heartbeats keep
     * their activation here while the beats come (validations count as beats too).
     */
    async heartbeat(ctx: ServiceContext, id: string): Promise<Instance> {
      requireRole(ctx.principal, ['operator', 'admin', 'service', 'instance']);
      assertActsFor(ctx.principal, id);
      const at = ctx.clock.now().toISOString();
      return store.transaction('instance.heartbeat', async (tx) => {
        const instance = await visibleInstance(tx, ctx.principal, id);
        await touchInstance(tx, id, at, at);
        return { ...instance, lastSeenAt: at };
      });
    },

    async update(ctx: ServiceContext, id: string, patch: InstancePatch): Promise<Instance> {
      return store.transaction('instance.update', async (tx) => {
        const current = await visibleInstance(tx, ctx.principal, id);
        requireRole(ctx.principal, ['operator', 'admin', 'service']);
        const next: Instance = {
          ...current,
          name: patch.name ?? current.name,
          hostname: patch.hostname === undefined ? current.hostname : patch.hostname,
          fingerprint: patch.fingerprint === undefined ? current.fingerprint : patch.fingerprint,
          labels: patch.labels ?? current.labels,
          updatedAt: ctx.clock.now().toISOString(),
        };
        await updateInstance(tx, next);
        await recordChange(tx, ctx, {
          type: 'instance.updated',
          accountId: next.accountId,
          resourceType: 'instance',
          resourceId: id,
          before: current,
          after: next,
        });
        return next;
      });
    },

    /** Removing an instance ends its activations, freeing their seats. */
    async remove(ctx: ServiceContext, id: string): Promise<void> {
      await store.transaction('instance.delete', async (tx) => {
        const current = await visibleInstance(tx, ctx.principal, id);
        requireRole(ctx.principal, ['operator', 'admin']);
        await deleteInstance(tx, id);
        await recordChange(tx, ctx, {
          type: 'instance.deleted',
          accountId: current.accountId,
          resourceType: 'instance',
          resourceId: id,
          before: current,
        });
      });
    },
  };
}

/** Generated identifiers may collide: draw again a few times; a caller-chosen one is a Conflict. */
async function insertWithFreshIds(
  tx: Executor,
  instance: Instance,
  input: InstanceCreate,
): Promise<Instance> {
  let candidate = instance;
  for (let attempt = 1; ; attempt++) {
    try {
      await insertInstance(tx, candidate);
      return candidate;
    } catch (error) {
      const field = error instanceof Conflict ? error.issues[0]?.name : undefined;
      const generated =
        (field === 'installId' && input.installId === undefined) ||
        (field === 'deviceSerial' && input.deviceSerial === undefined);
      if (!generated || attempt >= GENERATION_ATTEMPTS) throw error;
      candidate = {
        ...candidate,
        installId: input.installId ?? installIdFrom(randomBytes(4)),
        deviceSerial: input.deviceSerial ?? deviceSerialFrom(randomBytes(16)),
      };
    }
  }
}

export type InstanceService = ReturnType<typeof instanceService>;

/** Only instance tokens are bound to one instance; every other role may name any visible one. */
export function assertActsFor(principal: Principal, instanceId: string): void {
  if (principal.role === 'instance' && principal.instance !== instanceId) {
    throw new Forbidden('An instance token acts only for its own instance.');
  }
}
