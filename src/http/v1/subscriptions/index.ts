import type { App, RouteDeps } from '../../types.js';
import { cancelSubscription } from './cancel.js';
import { cancelPreview } from './cancel-preview.js';
import { listCharges } from './charges.js';
import { createSubscription } from './create.js';
import { deleteSubscription } from './delete.js';
import { getSubscription } from './get.js';
import { listSubscriptions } from './list.js';
import { replaceSubscription } from './replace.js';

/** Subscriptions (CRUD, cancel) and their charges. */
export function subscriptionRoutes(app: App, deps: RouteDeps): void {
  createSubscription(app, deps);
  listSubscriptions(app, deps);
  getSubscription(app, deps);
  replaceSubscription(app, deps);
  cancelSubscription(app, deps);
  cancelPreview(app, deps);
  deleteSubscription(app, deps);
  listCharges(app, deps);
}
