import { randomBytes } from 'node:crypto';
import {
  generateAccountId,
  normalizeSettings,
  type Account,
  type AccountInput,
  type AccountPatch,
} from '../domain/account.js';
import { InvalidFields, NotFound } from '../domain/errors.js';
import { accountScope, requireAccount, requireRole, type Role } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import {
  accountsCollection,
  deleteAccount,
  findAccount,
  insertAccount,
  listAccounts,
  updateAccount,
} from '../store/accounts.repository.js';
import type { Store, Tx } from '../store/database.js';
import type { Page } from '../store/list.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';

/** Operators manage accounts; an admin edits its own; viewers and others only read their own. */
export function accountService(store: Store) {
  return {
    async create(ctx: ServiceContext, input: AccountInput): Promise<Account> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now().toISOString();
      const account: Account = {
        id: input.id ?? generateAccountId(randomBytes(8).toString('hex')),
        name: input.name,
        orgId: input.orgId ?? null,
        settings: normalizeSettings(input.settings),
        createdAt: now,
        updatedAt: now,
      };
      return store.transaction('account.create', async (tx) => {
        await insertAccount(tx, account);
        await recordChange(tx, ctx, {
          type: 'account.created',
          accountId: account.id,
          resourceType: 'account',
          resourceId: account.id,
          after: account,
        });
        return account;
      });
    },

    list(ctx: ServiceContext, params: RawListParams): Promise<Page<Account>> {
      const query = parseListQuery(accountsCollection, params);
      return store.read((db) => listAccounts(db, accountScope(ctx.principal), query));
    },

    async get(ctx: ServiceContext, id: string): Promise<Account> {
      requireAccount(ctx.principal, 'Account', id);
      const account = await store.read((db) => findAccount(db, id));
      if (account === undefined) throw new NotFound('Account', id);
      return account;
    },

    replace(ctx: ServiceContext, id: string, input: AccountInput): Promise<Account> {
      return change(ctx, id, 'account.replace', (current) => {
        if (input.id !== undefined && input.id !== id) {
          throw new InvalidFields([
            { name: 'id', reason: `must match the account in the path ('${id}')` },
          ]);
        }
        return {
          ...current,
          name: input.name,
          orgId: input.orgId ?? null,
          settings: normalizeSettings(input.settings),
        };
      });
    },

    update(ctx: ServiceContext, id: string, patch: AccountPatch): Promise<Account> {
      return change(ctx, id, 'account.update', (current) => ({
        ...current,
        name: patch.name ?? current.name,
        orgId: patch.orgId === undefined ? current.orgId : patch.orgId,
        settings: { ...current.settings, ...patch.settings },
      }));
    },

    /**
     * Turns automatic license download on or off (NetProfiler's `auto_download`): admins, and the
     * account's own appliances with their instance token.
     */
    setAutoDownload(ctx: ServiceContext, id: string, autoDownload: boolean): Promise<Account> {
      return change(
        ctx,
        id,
        'account.auto-download',
        (current) => ({ ...current, settings: { ...current.settings, autoDownload } }),
        ['operator', 'admin', 'instance'],
      );
    },

    async remove(ctx: ServiceContext, id: string): Promise<void> {
      requireAccount(ctx.principal, 'Account', id);
      requireRole(ctx.principal, ['operator']);
      await store.transaction('account.delete', async (tx) => {
        const current = await mustFind(tx, id);
        await deleteAccount(tx, id);
        await recordChange(tx, ctx, {
          type: 'account.deleted',
          accountId: id,
          resourceType: 'account',
          resourceId: id,
          before: current,
        });
      });
    },
  };

  async function change(
    ctx: ServiceContext,
    id: string,
    useCase: string,
    apply: (current: Account) => Account,
    roles: readonly Role[] = ['operator', 'admin'],
  ): Promise<Account> {
    requireAccount(ctx.principal, 'Account', id);
    requireRole(ctx.principal, roles);
    return store.transaction(useCase, async (tx) => {
      const current = await mustFind(tx, id);
      const next = { ...apply(current), updatedAt: ctx.clock.now().toISOString() };
      await updateAccount(tx, next);
      await recordChange(tx, ctx, {
        type: 'account.updated',
        accountId: id,
        resourceType: 'account',
        resourceId: id,
        before: current,
        after: next,
      });
      return next;
    });
  }
}

async function mustFind(tx: Tx, id: string): Promise<Account> {
  const account = await findAccount(tx, id);
  if (account === undefined) throw new NotFound('Account', id);
  return account;
}

export type AccountService = ReturnType<typeof accountService>;
