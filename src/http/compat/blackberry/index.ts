import type { App, RouteDeps } from '../../types.js';
import { blackBerryNotFound, handleBlackBerryError } from './errors.js';
import { authorizationRoutes, blackBerryCredentials } from './authorization.js';
import { licensingRoutes } from './licensing.js';

/**
 * BlackBerry UEM licensing at `/{tenantGuid}/api/v1/licensing[/groups]` (reference 004), the
 * tenant being the Entitle account. Register with `{ prefix: '/:tenantGuid/api/v1' }`.
 */
export function blackberryFacade(deps: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    app.setErrorHandler(handleBlackBerryError);
    app.setNotFoundHandler(blackBerryNotFound(app));
    // UEM clients send `Authorization: <token>` with no scheme (or Bearer): every route here.
    const credentials = blackBerryCredentials(deps.services.tokens, deps.clock);
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, credentials };
    });
    authorizationRoutes(app, deps);
    licensingRoutes(app, deps);
    done();
  };
}
