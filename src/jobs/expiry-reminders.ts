import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often coming expiries are looked for; a reminder is at most this late. */
export const REMINDERS_EVERY_MS = 15 * 60_000;

/**
 * Records `license.expiring` and `subscription.expiring` once per expiry date, when the expiry
 * enters the reminder window; an expiry moved later is reminded of again.
 */
export function expiryRemindersJob(
  services: Services,
  everyMs = REMINDERS_EVERY_MS,
): JobDefinition {
  return {
    name: 'lifecycle.reminders',
    everyMs,
    run: (ctx) => services.lifecycle.reminders(ctx),
  };
}
