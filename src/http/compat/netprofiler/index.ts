import type { FastifyError } from 'fastify';
import type { App, RouteDeps } from '../../types.js';
import { actionRoutes } from './actions.js';
import { netProfilerCredentials } from './credentials.js';
import { handleNetProfilerError, netProfilerNotFound } from './errors.js';
import { licenseRoutes } from './licenses.js';

export const NETPROFILER_PREFIX = '/api/mgmt.licenses/1.0';

/**
 * Riverbed NetProfiler `mgmt.licenses` 1.0 (reference 001): the calling appliance's licenses,
 * with NetProfiler's `{error_id, error_text, error_info}` errors. Register with
 * `{ prefix: NETPROFILER_PREFIX }`.
 */
export function netProfilerFacade(deps: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    app.setErrorHandler((error: FastifyError, request, reply) =>
      handleNetProfilerError(error, request, reply),
    );
    app.setNotFoundHandler(netProfilerNotFound(app));
    // Basic, Bearer and SignedBearer, as Riverbed's common API defines them: every route here.
    const credentials = netProfilerCredentials(deps.services, deps.clock);
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, credentials };
    });
    licenseRoutes(app, deps);
    actionRoutes(app, deps);
    done();
  };
}
