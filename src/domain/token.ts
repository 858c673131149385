import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import { ROLES, type Principal } from './principal.js';
import type { FieldIssue } from './errors.js';

export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 5 * 365 * 86400;

/** The claims Entitle reads from a bearer token, beyond the registered ones jose checks. */
export const TokenClaimsSchema = Type.Object({
  sub: Type.String({ minLength: 1, maxLength: 200 }),
  role: Type.Enum(ROLES),
  accounts: Type.Union([Type.Literal('*'), Type.Array(AccountId, { maxItems: 1000 })]),
  typ: Type.Union([Type.Literal('user'), Type.Literal('service')]),
  instance: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  jti: Type.Optional(Type.String({ maxLength: 200 })),
});
export type TokenClaims = Static<typeof TokenClaimsSchema>;

/** What a caller asks for when minting a token (CLI, API). */
export const TokenRequestSchema = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 200, description: 'Who the token is for.' }),
    role: TokenClaimsSchema.properties.role,
    accounts: TokenClaimsSchema.properties.accounts,
    typ: Type.Optional(TokenClaimsSchema.properties.typ),
    instance: TokenClaimsSchema.properties.instance,
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: MIN_TTL_SECONDS,
        maximum: MAX_TTL_SECONDS,
        description: 'Lifetime; default 30 days.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TokenRequest = Static<typeof TokenRequestSchema>;

export const DEFAULT_TOKEN_TTL_SECONDS = 30 * 86400;

/** Rules between claims: operators see every account, everyone else a list; instances name theirs. */
export function checkTokenRequest(request: TokenRequest): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (request.role === 'operator' && request.accounts !== '*') {
    issues.push({ name: 'accounts', reason: "operator tokens cover every account: use '*'" });
  }
  if (request.role !== 'operator') {
    if (request.accounts === '*') {
      issues.push({
        name: 'accounts',
        reason: `'*' is for operators; list the ${request.role}'s accounts`,
      });
    } else if (request.accounts.length === 0) {
      issues.push({ name: 'accounts', reason: 'name at least one account' });
    }
  }
  if (request.role === 'instance' && request.instance === undefined) {
    issues.push({ name: 'instance', reason: 'instance tokens are bound to one instance' });
  }
  const ttl = request.ttlSeconds;
  if (
    ttl !== undefined &&
    (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS)
  ) {
    issues.push({
      name: 'ttlSeconds',
      reason: `must be from ${String(MIN_TTL_SECONDS)} to ${String(MAX_TTL_SECONDS)} seconds`,
    });
  }
  if (request.role !== 'instance' && request.instance !== undefined) {
    issues.push({ name: 'instance', reason: 'only instance tokens carry an instance' });
  }
  return issues;
}

/** The principal verified claims stand for, or a reason the claims cannot be accepted. */
export function principalFromClaims(claims: TokenClaims): Principal | string {
  const request: TokenRequest = {
    subject: claims.sub,
    role: claims.role,
    accounts: claims.accounts,
    instance: claims.instance,
  };
  const [issue] = checkTokenRequest(request);
  if (issue !== undefined) return `claim '${issue.name}': ${issue.reason}`;
  return {
    subject: claims.sub,
    role: claims.role,
    accounts: claims.accounts,
    type: claims.typ,
    instance: claims.instance,
    tokenId: claims.jti,
  };
}
