import type { App, RouteDeps } from '../../types.js';
import { accessCodeRoutes } from './access-codes.js';
import { createUser } from './create.js';
import { deleteUser } from './delete.js';
import { getUser } from './get.js';
import { listUsers } from './list.js';
import { rotatePassword } from './rotate-password.js';

export function userRoutes(app: App, deps: RouteDeps): void {
  createUser(app, deps);
  listUsers(app, deps);
  getUser(app, deps);
  rotatePassword(app, deps);
  deleteUser(app, deps);
  accessCodeRoutes(app, deps);
}
