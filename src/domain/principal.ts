import { Forbidden, NotFound } from './errors.js';

export const ROLES = ['operator', 'admin', 'viewer', 'service', 'instance'] as const;
export type Role = (typeof ROLES)[number];
export type TokenType = 'user' | 'service';

/** Who is calling: the verified claims of a bearer token. */
export interface Principal {
  subject: string;
  role: Role;
  /** '*' for operators: every account. */
  accounts: '*' | readonly string[];
  type: TokenType;
  /** Set on instance tokens: the install the token is bound to. */
  instance?: string | undefined;
  tokenId?: string | undefined;
}

/** The principal jobs and the CLI act as when no request is involved. */
export const systemPrincipal: Principal = {
  subject: 'system',
  role: 'operator',
  accounts: '*',
  type: 'service',
};

export function isOperator(principal: Principal): boolean {
  return principal.role === 'operator';
}

export function canSeeAccount(principal: Principal, accountId: string): boolean {
  return principal.accounts === '*' || principal.accounts.includes(accountId);
}

/** Account ids the principal may read, or null for all of them. */
export function accountScope(principal: Principal): readonly string[] | null {
  return principal.accounts === '*' ? null : principal.accounts;
}

export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (!roles.includes(principal.role)) {
    throw new Forbidden(`The '${principal.role}' role may not do this.`);
  }
}

/**
 * A resource of an account outside the token answers exactly as a missing one does, so that a
 * caller cannot learn which account ids exist.
 */
export function requireAccount(
  principal: Principal,
  resource: string,
  accountId: string,
  id = accountId,
): void {
  if (!canSeeAccount(principal, accountId)) throw new NotFound(resource, id);
}
