import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../domain/clock.js';
import { DomainError, NotFound } from '../../../domain/errors.js';
import type { License } from '../../../domain/license.js';
import type { Product } from '../../../domain/product.js';
import type { Services } from '../../../services/index.js';
import { callingInstance, type CallingInstance } from '../shared.js';
import { HpErrorSchema, toHpLicense, type HpLicense } from './schemas.js';

/** The controller a request speaks to: the instance of its instance token. */
export type Controller = CallingInstance;

/**
 * HP's API is the controller's own: only an instance token (its `instance` claim) names one. Any
 * other token has no controller to describe, which answers 404 as a missing resource does.
 */
export function controllerOf(
  services: Services,
  request: FastifyRequest,
  clock: Clock,
): Promise<Controller> {
  return callingInstance(
    services,
    request,
    clock,
    () =>
      new DomainError(
        'NOT_FOUND',
        'No controller: this token is not bound to an instance; use an instance token.',
      ),
  );
}

/**
 * A license of the account installed on this controller (activated here now or before): any
 * other answers 404, exactly as a missing one does.
 */
export async function installedHere(
  services: Services,
  { ctx, instance }: Controller,
  license: License,
  name: string,
): Promise<{ license: License; live: boolean }> {
  const here = (await services.licenses.activations(ctx, String(license.serialNumber))).filter(
    (activation) => activation.instanceId === instance.id,
  );
  if (here.length === 0) throw new NotFound('License', name);
  return { license, live: here.some((activation) => activation.deactivatedAt === null) };
}

/** Licenses in HP's form, each product read once. */
export async function hpLicenses(
  services: Services,
  { ctx, instance }: Controller,
  licenses: readonly License[],
): Promise<HpLicense[]> {
  const products = new Map<number, Product>();
  for (const id of new Set(licenses.map((license) => license.productId))) {
    if (id !== null) products.set(id, await services.products.cached(ctx, id));
  }
  return licenses.map((license) =>
    toHpLicense(
      license,
      instance.installId,
      license.productId === null ? undefined : products.get(license.productId),
    ),
  );
}

/** OpenAPI responses for HP's error codes. */
export function hpErrorResponses(...codes: (400 | 401 | 404 | 405 | 503)[]) {
  return Object.fromEntries(codes.map((code) => [code, HpErrorSchema]));
}
