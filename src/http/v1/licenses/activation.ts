import { Type } from 'typebox';
import { KeysRequestSchema, LicenseSchema } from '../../../domain/license.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import {
  ActivationSchema,
  InstallResults,
  InstanceBody,
  LicenseParams,
  OptionalInstanceBody,
  UninstallResults,
} from './schemas.js';

/** Binding licenses to instances: activate, deactivate, and keys installed in bulk. */
export function activationRoutes(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/licenses/:license/activate',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Activate a license on an instance',
        description:
          "Takes a seat (201); activating the same instance again changes nothing (200). A seat past the limit, within the policy's overage allowance, answers 201 with `Entitle-Code: OVERAGE` (and a `usage.overage` event); 409 when every seat and the allowance are taken; 429 past the license's activation rate limit.",
        params: LicenseParams,
        body: InstanceBody,
        response: {
          200: LicenseSchema,
          201: LicenseSchema,
          ...bodyProblems(
            'invalid-params',
            'forbidden',
            'not-found',
            'seat-limit-reached',
            'license-not-usable',
            'rate-limited',
          ),
        },
      },
    },
    async (request, reply) => {
      const { license, created, outcome } = await services.licenses.activate(
        contextOf(request, clock),
        request.params.license,
        request.body.instance,
      );
      if (outcome !== null) void reply.header('entitle-code', outcome);
      return reply.code(created ? 201 : 200).send(license);
    },
  );

  app.post(
    '/v1/licenses/:license/deactivate',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Deactivate a license',
        description:
          'Frees the seat of one instance, or of every instance. With no activation left the license is inactive and carries a signed deactivated key.',
        params: LicenseParams,
        body: OptionalInstanceBody,
        response: {
          200: LicenseSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict', 'rate-limited'),
        },
      },
    },
    (request) =>
      services.licenses.deactivate(
        contextOf(request, clock),
        request.params.license,
        request.body.instance ?? null,
      ),
  );

  app.get(
    '/v1/licenses/:license/activations',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Activations of a license, live and ended',
        params: LicenseParams,
        response: {
          200: Type.Object({ items: Type.Array(ActivationSchema) }),
          ...problems('invalid-params', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.licenses.activations(contextOf(request, clock), request.params.license),
    }),
  );

  app.post(
    '/v1/licenses/install',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Install keys on an instance or into an account',
        description:
          'One result per key: success, already installed, License key format not supported, Unrecognized License (kept as an invalid license), Seat limit reached, License not usable. Idempotent.',
        body: KeysRequestSchema,
        response: { 200: InstallResults, ...bodyProblems('forbidden', 'not-found') },
      },
    },
    async (request) => ({
      results: await services.installs.install(contextOf(request, clock), request.body),
    }),
  );

  app.post(
    '/v1/licenses/uninstall',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Remove keys from an instance (or unrecognized keys from an account)',
        body: KeysRequestSchema,
        response: { 200: UninstallResults, ...bodyProblems('forbidden', 'not-found') },
      },
    },
    async (request) => ({
      results: await services.installs.uninstall(contextOf(request, clock), request.body),
    }),
  );
}
