import type { App, RouteDeps } from '../../types.js';
import { blackBerryNotFound, handleBlackBerryError } from './errors.js';
import { licensingRoutes } from './licensing.js';

/**
 * BlackBerry UEM licensing at `/{tenantGuid}/api/v1/licensing[/groups]` (reference 004), the
 * tenant being the Entitle account. Register with `{ prefix: '/:tenantGuid/api/v1' }`.
 */
export function blackberryFacade(deps: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    app.setErrorHandler(handleBlackBerryError);
    app.setNotFoundHandler(blackBerryNotFound(app));
    licensingRoutes(app, deps);
    done();
  };
}
