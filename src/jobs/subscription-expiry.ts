import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often subscriptions are checked for a passed expiry or an ended grace period. */
export const SUBSCRIPTION_EXPIRY_EVERY_MS = 5 * 60_000;

/**
 * Records `subscription.expired` (charging the period the expiry closes) and
 * `subscription.grace_ended` once per expiry of each active subscription; the mark, the event
 * and the charge commit together.
 */
export function subscriptionExpiryJob(
  services: Services,
  everyMs = SUBSCRIPTION_EXPIRY_EVERY_MS,
): JobDefinition {
  return {
    name: 'subscriptions.expiry',
    everyMs,
    run: (ctx) => services.lifecycle.subscriptionExpiry(ctx),
  };
}
