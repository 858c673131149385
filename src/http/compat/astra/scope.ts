import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../domain/clock.js';
import { NotFound } from '../../../domain/errors.js';
import { canSeeAccount } from '../../../domain/principal.js';
import type { ServiceContext } from '../../../services/context.js';
import type { Services } from '../../../services/index.js';
import { contextOf } from '../../plugins/auth.js';
import { CollectionNotFound } from './problems.js';

/**
 * The service context of an Astra request, scoped to the path's account: the account must exist
 * and be one of the token's (else the collection is not found), and the principal is narrowed to
 * that one account. The services then see only that account's subscriptions, inside their own
 * transaction — a subscription of another account is "not found" with no extra check here.
 */
export async function accountContext(
  services: Services,
  request: FastifyRequest,
  clock: Clock,
  accountId: string,
): Promise<ServiceContext> {
  const ctx = contextOf(request, clock);
  if (!canSeeAccount(ctx.principal, accountId)) throw new CollectionNotFound(accountId);
  try {
    await services.accounts.get(ctx, accountId);
  } catch (error) {
    if (error instanceof NotFound) throw new CollectionNotFound(accountId);
    throw error;
  }
  return { ...ctx, principal: { ...ctx.principal, accounts: [accountId] } };
}

/** The path of a subscription, as `Location` names it. */
export function subscriptionPath(accountId: string, subscriptionId: string): string {
  return `/accounts/${encodeURIComponent(accountId)}/core/v1/subscriptions/${encodeURIComponent(subscriptionId)}`;
}
