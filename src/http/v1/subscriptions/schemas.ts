import { Type } from 'typebox';
import { AccountId } from '../../../domain/account.js';
import { ChargeSchema, SubscriptionSchema } from '../../../domain/subscription.js';
import { listOf } from '../../schemas.js';

export const SubscriptionParams = Type.Object(
  { subscriptionId: Type.String({ format: 'uuid', description: 'The subscription id.' }) },
  { additionalProperties: false },
);

export const AccountChargesParams = Type.Object(
  { accountId: AccountId },
  { additionalProperties: false },
);

export const SubscriptionList = listOf(SubscriptionSchema, 'SubscriptionList');
export const ChargeList = listOf(ChargeSchema, 'ChargeList');

/** `If-Match` as sent, if any: the service parses and checks it. */
export function ifMatchOf(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const value = headers['if-match'];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The revision as an entity tag, so that a client can send it back as `If-Match`. */
export function etagOf(subscription: { revision: number }): string {
  return `"${String(subscription.revision)}"`;
}
