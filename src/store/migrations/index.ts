import type { Migration } from 'kysely';
import * as foundation from './0001_foundation.js';
import * as licenses from './0002_licenses.js';
import * as subscriptions from './0003_subscriptions.js';
import * as usage from './0004_usage.js';
import * as groups from './0005_groups.js';
import * as jobs from './0006_jobs.js';
import * as webhooks from './0007_webhooks.js';
import * as lifecycle from './0008_lifecycle.js';
import * as activationTokens from './0009_activation_tokens.js';
import * as upstream from './0010_upstream.js';
import * as activationsByLicense from './0011_activations_by_license.js';
import * as users from './0012_users.js';
import * as policies from './0013_policies.js';
import * as licenseListIndexes from './0014_license_list_indexes.js';
import * as policyClockRateLimits from './0015_policy_clock_rate_limits.js';
import * as housekeepingIndexes from './0016_housekeeping_indexes.js';

/** Every migration, in order. Names are permanent: never rename or reorder one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_licenses': licenses,
  '0003_subscriptions': subscriptions,
  '0004_usage': usage,
  '0005_groups': groups,
  '0006_jobs': jobs,
  '0007_webhooks': webhooks,
  '0008_lifecycle': lifecycle,
  '0009_activation_tokens': activationTokens,
  '0010_upstream': upstream,
  '0011_activations_by_license': activationsByLicense,
  '0012_users': users,
  '0013_policies': policies,
  '0014_license_list_indexes': licenseListIndexes,
  '0015_policy_clock_rate_limits': policyClockRateLimits,
  '0016_housekeeping_indexes': housekeepingIndexes,
};
