import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Compile } from 'typebox/compile';
import { Conflict, InvalidFields, Unauthenticated } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import { requireRole, type Principal } from '../domain/principal.js';
import {
  checkTokenRequest,
  DEFAULT_TOKEN_TTL_SECONDS,
  principalFromClaims,
  TokenClaimsSchema,
  type TokenRequest,
} from '../domain/token.js';
import { countAccounts, missingAccounts } from '../store/accounts.repository.js';
import type { Store, Tx } from '../store/database.js';
import { findInstance } from '../store/instances.repository.js';
import { countTokens, recordToken } from '../store/tokens.repository.js';
import { isSessionRevoked } from '../store/users.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import type { TokenKeys } from './token-keys.js';

export interface IssuedToken {
  id: string;
  token: string;
  expiresAt: string;
}

/** How long a verified token is trusted without checking its signature again. */
const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;
/**
 * How long a remembered token is trusted before its revocation is read again from the database:
 * a logout in another process takes effect here within this bound (in this process, at once).
 */
export const REVOCATION_RECHECK_MS = 5_000;

/** The token's `exp` has passed: clients re-authenticate (NetProfiler's AUTH_EXPIRED_TOKEN). */
export class TokenExpired extends Unauthenticated {
  constructor() {
    super('The bearer token has expired.');
  }
}

/** The token was revoked (a logout, a password rotation, a deleted user). */
export class TokenRevoked extends Unauthenticated {
  constructor() {
    super('The bearer token has been revoked.');
  }
}
const claimsChecker = Compile(TokenClaimsSchema);

export function tokenService(store: Store, keys: TokenKeys) {
  const verified = new Map<string, { principal: Principal; until: number; recheckAt: number }>();
  const revoked = async (principal: Principal): Promise<boolean> =>
    principal.tokenId !== undefined &&
    (await store.read((db) => isSessionRevoked(db, principal.tokenId ?? '')));
  const remember = (token: string, principal: Principal, until: number, now: number) => {
    if (verified.size >= VERIFIED_MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(token, { principal, until, recheckAt: now + REVOCATION_RECHECK_MS });
  };
  return {
    /** Mints a token (operators only); records its id and hash, never the token itself. */
    async issue(
      ctx: ServiceContext,
      request: TokenRequest,
      /** Runs in the issuing transaction (a login records its session there). */
      alongside?: (tx: Tx, issued: IssuedToken) => Promise<void>,
    ): Promise<IssuedToken> {
      requireRole(ctx.principal, ['operator']);
      if (!keys.canSign) {
        throw new Conflict(
          'This server verifies tokens of an external issuer (JWKS) or holds only a public key; it cannot mint tokens.',
        );
      }
      const issues = checkTokenRequest(request);
      if (issues.length > 0) throw new InvalidFields(issues);
      return store.transaction('token.issue', async (tx) => {
        if (request.accounts !== '*') {
          const missing = await missingAccounts(tx, request.accounts);
          if (missing.length > 0) {
            throw new InvalidFields([
              { name: 'accounts', reason: `no such account: ${missing.join(', ')}` },
            ]);
          }
        }
        if (request.instance !== undefined) {
          // An instance token is bound to one registered instance of one of its accounts.
          const instance = await findInstance(tx, request.instance);
          if (
            instance === undefined ||
            (request.accounts !== '*' && !request.accounts.includes(instance.accountId))
          ) {
            throw new InvalidFields([
              {
                name: 'instance',
                reason: `no instance '${request.instance}' in the token's accounts`,
              },
            ]);
          }
        }
        const issuedAt = ctx.clock.now();
        const expiresAt = new Date(
          issuedAt.getTime() + (request.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS) * 1000,
        );
        const id = randomUUID();
        const typ =
          request.typ ??
          (request.role === 'service' || request.role === 'instance' ? 'service' : 'user');
        const claims = {
          sub: request.subject,
          role: request.role,
          accounts: request.accounts,
          typ,
          ...(request.instance === undefined ? {} : { instance: request.instance }),
        };
        const token = await keys.sign(claims, issuedAt, expiresAt, id);
        await recordToken(tx, {
          id,
          subject: request.subject,
          role: request.role,
          accounts: JSON.stringify(request.accounts),
          typ,
          instance_id: request.instance ?? null,
          token_hash: createHash('sha256').update(token).digest('hex'),
          issued_at: issuedAt.toISOString(),
          expires_at: expiresAt.toISOString(),
          created_by: ctx.principal.subject,
        });
        const single =
          request.accounts !== '*' && request.accounts.length === 1
            ? request.accounts[0]
            : undefined;
        await recordChange(tx, ctx, {
          type: 'token.issued',
          accountId: single ?? null,
          resourceType: 'token',
          resourceId: id,
          after: { ...claims, expiresAt: expiresAt.toISOString() },
        });
        const issued = { id, token, expiresAt: expiresAt.toISOString() };
        if (alongside !== undefined) await alongside(tx, issued);
        return issued;
      });
    },

    /**
     * On first start with an empty store (no account, no token), mints the operator token the
     * administrator signs in with. Returns null on every later start.
     */
    async bootstrap(ctx: ServiceContext): Promise<IssuedToken | null> {
      if (!keys.canSign) return null;
      const empty = await store.read(
        async (db) => (await countTokens(db)) === 0 && (await countAccounts(db)) === 0,
      );
      if (!empty) return null;
      return this.issue(ctx, { subject: 'bootstrap-operator', role: 'operator', accounts: '*' });
    },

    /**
     * Verifies a bearer token and returns who it stands for. A verified token is remembered until
     * it expires (at most a few minutes), so a busy client is not re-verified on every request.
     */
    async authenticate(token: string, clock: Clock): Promise<Principal> {
      const now = clock.now().getTime();
      const remembered = verified.get(token);
      if (remembered !== undefined && remembered.until > now) {
        if (remembered.recheckAt > now) return remembered.principal;
        if (await revoked(remembered.principal)) {
          verified.delete(token);
          throw new TokenRevoked();
        }
        remembered.recheckAt = now + REVOCATION_RECHECK_MS;
        return remembered.principal;
      }
      if (remembered !== undefined) verified.delete(token);
      let payload: Awaited<ReturnType<TokenKeys['verify']>>;
      try {
        payload = await keys.verify(token, clock);
      } catch (error) {
        if (error instanceof Unauthenticated && hasExpired(token, now)) throw new TokenExpired();
        throw error;
      }
      const expiresAtMs = Number(payload.exp) * 1000;
      if (!claimsChecker.Check(payload)) {
        const [first] = claimsChecker.Errors(payload);
        throw new Unauthenticated(
          `The bearer token's claims are malformed${first ? ` (${first.instancePath || first.schemaPath}: ${first.message})` : ''}.`,
        );
      }
      const principal = principalFromClaims(payload);
      if (typeof principal === 'string') {
        throw new Unauthenticated(`The bearer token's claims are inconsistent: ${principal}.`);
      }
      if (await revoked(principal)) throw new TokenRevoked();
      remember(token, principal, Math.min(expiresAtMs, now + VERIFIED_TTL_MS), now);
      return principal;
    },

    /** Drops a token this process remembers, so that its revocation takes effect here at once. */
    forget(token: string): void {
      verified.delete(token);
    },
  };
}

export type TokenService = ReturnType<typeof tokenService>;

/** True when the token decodes and its `exp` is past (the signature was already refused or not). */
function hasExpired(token: string, now: number): boolean {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp * 1000 <= now;
  } catch {
    return false;
  }
}
