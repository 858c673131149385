import type { App, RouteDeps } from '../../types.js';
import { createWebhook } from './create.js';
import { deleteWebhook } from './delete.js';
import { getWebhookDelivery } from './delivery.js';
import { listWebhookDeliveries } from './deliveries.js';
import { getWebhook } from './get.js';
import { listWebhooks } from './list.js';
import { redeliverWebhook } from './redeliver.js';
import { rotateWebhookSecret } from './rotate-secret.js';
import { testWebhook } from './test.js';
import { updateWebhook } from './update.js';

/** Webhook endpoints (CRUD, secret rotation, test ping) and their delivery log. */
export function webhookRoutes(app: App, deps: RouteDeps): void {
  createWebhook(app, deps);
  listWebhooks(app, deps);
  getWebhook(app, deps);
  updateWebhook(app, deps);
  deleteWebhook(app, deps);
  rotateWebhookSecret(app, deps);
  testWebhook(app, deps);
  listWebhookDeliveries(app, deps);
  getWebhookDelivery(app, deps);
  redeliverWebhook(app, deps);
}
