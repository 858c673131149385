import type { Services } from '../services/index.js';
import { autoDownloadJob } from './auto-download.js';
import { complianceWatchJob } from './compliance-watch.js';
import { expiryRemindersJob } from './expiry-reminders.js';
import { housekeepingJob } from './housekeeping.js';
import { licenseExpiryJob } from './license-expiry.js';
import { pruneUsageJob } from './prune-usage.js';
import { reclaimLeasesJob } from './reclaim-leases.js';
import type { JobDefinition } from './scheduler.js';
import { subscriptionExpiryJob } from './subscription-expiry.js';
import { webhookDeliveryJob } from './webhook-delivery.js';

/** Every scheduled job a server (or `entitle worker`) runs. */
export function allJobs(services: Services): JobDefinition[] {
  return [
    pruneUsageJob(services),
    autoDownloadJob(services),
    licenseExpiryJob(services),
    subscriptionExpiryJob(services),
    expiryRemindersJob(services),
    complianceWatchJob(services),
    webhookDeliveryJob(services),
    reclaimLeasesJob(services),
    housekeepingJob(services),
  ];
}
