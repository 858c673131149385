import { randomBytes, randomUUID } from 'node:crypto';
import {
  activationTokenStatus,
  defaultTokenExpiry,
  formatToken,
  licensesOfRedemption,
  redemptionRefusal,
  tokenHash,
  tokenHint,
  TOKEN_RANDOM_BYTES,
  type ActivationToken,
  type ActivationTokenIssue,
  type ActivationTokenRecord,
  type RedeemRequest,
} from '../domain/activation-token.js';
import { InvalidFields, NotFound, SeatLimitReached } from '../domain/errors.js';
import type { License } from '../domain/license.js';
import { accountScope, canSeeAccount, requireRole } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import { findAccount } from '../store/accounts.repository.js';
import {
  activationTokensCollection,
  findActivationToken,
  insertActivationToken,
  listActivationTokens,
  markRedeemed,
  markRevoked,
} from '../store/activation-tokens.repository.js';
import type { Executor, Store } from '../store/database.js';
import type { Page } from '../store/list.js';
import { findProduct } from '../store/products.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import { installTarget, type InstallTarget } from './installs.js';
import { claimSeat, withValidity, type LicenseService } from './licenses.js';
import { productRef } from './products.js';

export interface IssuedActivationToken extends ActivationToken {
  /** The token itself: shown in this answer only. */
  token: string;
}

export interface Redemption {
  activationToken: ActivationToken;
  licenses: License[];
}

/** A refusal names the token as the customer typed it, as NetProfiler's message does. */
export class InvalidActivationToken extends InvalidFields {
  readonly unknown: boolean;
  /** The token as typed, for the answer; not in the message, which is logged. */
  readonly token: string;

  constructor(token: string, reason: string) {
    super([{ name: 'token', reason }], 'Invalid token');
    this.token = token;
    this.unknown = reason === UNKNOWN_TOKEN;
  }
}

const UNKNOWN_TOKEN = 'unknown token';

/** Redeems elsewhere a token this server does not know (the upstream); null: not redeemed. */
export type RedeemForwarder = (
  ctx: ServiceContext,
  target: InstallTarget,
  request: RedeemRequest,
) => Promise<Redemption | null>;

function withStatus(record: ActivationTokenRecord, now: Date): ActivationToken {
  return { ...record, status: activationTokenStatus(record, now) };
}

async function visibleToken(
  db: Executor,
  ctx: ServiceContext,
  id: string,
): Promise<ActivationTokenRecord> {
  const token = await findActivationToken(db, { id });
  const visible =
    token !== undefined &&
    (ctx.principal.accounts === '*' ||
      (token.accountId !== null && canSeeAccount(ctx.principal, token.accountId)));
  if (!visible) throw new NotFound('Activation token', id);
  return token;
}

/** One-time purchase tokens: operators issue them, appliances and admins redeem them once. */
export function activationTokenService(
  store: Store,
  licenses: LicenseService,
  forward?: RedeemForwarder,
) {
  /** The local redemption, in one transaction; `resolved` learns the target once known. */
  function redeemLocally(
    ctx: ServiceContext,
    request: RedeemRequest,
    resolved: (target: InstallTarget) => void,
  ): Promise<Redemption> {
    return store.transaction('activation-token.redeem', async (tx) => {
      const target = await installTarget(tx, ctx, request);
      resolved(target);
      const now = ctx.clock.now();
      const token = await findActivationToken(tx, { hash: tokenHash(request.token) });
      const refusal = redemptionRefusal(token, target.accountId, now);
      if (token === undefined || refusal !== null) {
        throw new InvalidActivationToken(request.token, refusal ?? UNKNOWN_TOKEN);
      }
      const issued: License[] = [];
      for (const input of licensesOfRedemption(token, target.accountId, now)) {
        const record = await licenses.issueWithin(tx, ctx, input);
        if (target.instance === null) {
          issued.push(withValidity(record, now));
          continue;
        }
        const claim = await claimSeat(tx, ctx, record, target.instance.id);
        if (!claim.ok) throw new SeatLimitReached(record.id, claim.ceiling);
        issued.push(withValidity(claim.license, now));
      }
      const redeemedBy = { accountId: target.accountId, subject: ctx.principal.subject };
      const licenseIds = issued.map((license) => license.id);
      const won = await markRedeemed(tx, token.id, {
        ...redeemedBy,
        at: now.toISOString(),
        licenseIds,
      });
      if (!won) throw new InvalidActivationToken(request.token, 'already redeemed');
      const after: ActivationTokenRecord = {
        ...token,
        redeemedAt: now.toISOString(),
        redeemedBy,
        licenseIds,
      };
      await recordChange(tx, ctx, {
        type: 'activation_token.redeemed',
        accountId: target.accountId,
        resourceType: 'activation-token',
        resourceId: token.id,
        after: { redeemedBy, licenseIds },
      });
      return { activationToken: withStatus(after, now), licenses: issued };
    });
  }

  return {
    issue(ctx: ServiceContext, input: ActivationTokenIssue): Promise<IssuedActivationToken> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now();
      if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= now.getTime()) {
        throw new InvalidFields([{ name: 'expiresAt', reason: 'must be in the future' }]);
      }
      return store.transaction('activation-token.issue', async (tx) => {
        const accountId = input.accountId ?? null;
        if (accountId !== null && (await findAccount(tx, accountId)) === undefined) {
          throw new InvalidFields([{ name: 'accountId', reason: `no such account: ${accountId}` }]);
        }
        const product = await findProduct(tx, productRef(String(input.license.product)));
        if (product === undefined) {
          throw new InvalidFields([
            {
              name: 'license.product',
              reason: `no such product: ${String(input.license.product)}`,
            },
          ]);
        }
        const token = formatToken(randomBytes(TOKEN_RANDOM_BYTES));
        const record: ActivationTokenRecord = {
          id: `at_${randomUUID()}`,
          hint: tokenHint(token),
          accountId,
          orderId: input.orderId ?? null,
          count: input.count ?? 1,
          license: input.license,
          createdAt: now.toISOString(),
          expiresAt: input.expiresAt ?? defaultTokenExpiry(now),
          redeemedAt: null,
          redeemedBy: null,
          licenseIds: [],
          revokedAt: null,
        };
        await insertActivationToken(tx, record, tokenHash(token));
        await recordChange(tx, ctx, {
          type: 'activation_token.created',
          accountId,
          resourceType: 'activation-token',
          resourceId: record.id,
          after: record,
        });
        return { ...withStatus(record, now), token };
      });
    },

    /**
     * Redeems a token into its licenses on the redeemer's account, installed on the instance when
     * there is one (an instance token's own, or the one named). Unknown, used, expired, revoked
     * or another account's tokens are all refused as `Invalid token <token>`.
     */
    async redeem(ctx: ServiceContext, request: RedeemRequest): Promise<Redemption> {
      let resolved: InstallTarget | undefined;
      try {
        return await redeemLocally(ctx, request, (target) => (resolved = target));
      } catch (error) {
        // A token this server never issued may be the vendor's: ask the upstream, if any.
        if (error instanceof InvalidActivationToken && error.unknown && resolved && forward) {
          const forwarded = await forward(ctx, resolved, request);
          if (forwarded !== null) return forwarded;
        }
        throw error;
      }
    },

    /** Withdraws a token nobody redeemed yet (operators). */
    revoke(ctx: ServiceContext, id: string): Promise<ActivationToken> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('activation-token.revoke', async (tx) => {
        const token = await visibleToken(tx, ctx, id);
        const now = ctx.clock.now();
        const at = now.toISOString();
        if (!(await markRevoked(tx, id, at))) {
          throw new InvalidFields(
            [{ name: 'id', reason: `the token is ${activationTokenStatus(token, now)}` }],
            'Only a token nobody redeemed can be revoked.',
          );
        }
        await recordChange(tx, ctx, {
          type: 'activation_token.revoked',
          accountId: token.accountId,
          resourceType: 'activation-token',
          resourceId: id,
        });
        return withStatus({ ...token, revokedAt: at }, now);
      });
    },

    async get(ctx: ServiceContext, id: string): Promise<ActivationToken> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer']);
      const token = await store.read((db) => visibleToken(db, ctx, id));
      return withStatus(token, ctx.clock.now());
    },

    /** Operators see every token; admins and viewers the tokens restricted to their accounts. */
    async list(ctx: ServiceContext, params: RawListParams): Promise<Page<ActivationToken>> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer']);
      const query = parseListQuery(activationTokensCollection, params);
      const page = await store.read((db) =>
        listActivationTokens(db, accountScope(ctx.principal), query),
      );
      const now = ctx.clock.now();
      return { ...page, rows: page.rows.map((row) => withStatus(row, now)) };
    },
  };
}

export type ActivationTokenService = ReturnType<typeof activationTokenService>;
