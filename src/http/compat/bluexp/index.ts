import type { FastifyError } from 'fastify';
import type { App, RouteDeps } from '../../types.js';
import { blueXpNotFound, handleBlueXpError } from './errors.js';
import { licenseRoutes } from './licenses.js';
import { subscriptionRoutes } from './subscriptions.js';

/**
 * NetApp BlueXP digital wallet at `/license/...` (reference 000): licenses and subscriptions of
 * the token's accounts, with BlueXP's error body. Register with `{ prefix: '/license' }`.
 */
export function blueXpFacade(deps: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    app.setErrorHandler((error: FastifyError, request, reply) =>
      handleBlueXpError(error, request, reply),
    );
    app.setNotFoundHandler(blueXpNotFound(app));
    licenseRoutes(app, deps);
    subscriptionRoutes(app, deps);
    done();
  };
}
