import { Type } from 'typebox';
import { LicenseSchema } from '../../../domain/license.js';
import {
  LeaseSchema,
  LicensePolicySchema,
  PolicyInputSchema,
  PolicyPatchSchema,
  PolicySchema,
} from '../../../domain/policy.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import {
  AssignPolicySchema,
  CheckOutSchema,
  IfMatchHeaders,
  LeaseParams,
  LicenseParams,
  PolicyList,
  PolicyParams,
} from './schemas.js';

const revisionOf = (ifMatch: string | undefined) =>
  ifMatch === undefined ? undefined : Number(ifMatch.replace(/^W\//, '').replaceAll('"', ''));

/** Policies: the operators' catalog of license templates. */
export function policyRoutes(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/policies',
    {
      schema: {
        tags: ['policies'],
        summary: 'Create a policy',
        description:
          'Operators only. A named template for the licenses of one product; every term not given takes its default (see docs/policies.md).',
        body: PolicyInputSchema,
        response: { 201: PolicySchema, ...bodyProblems('forbidden', 'conflict') },
      },
    },
    async (request, reply) => {
      const policy = await services.policies.create(contextOf(request, clock), request.body);
      return reply
        .code(201)
        .header('location', `/v1/policies/${policy.id}`)
        .header('etag', `"${String(policy.revision)}"`)
        .send(policy);
    },
  );

  app.get(
    '/v1/policies',
    {
      schema: {
        tags: ['policies'],
        summary: 'List policies',
        description:
          'Every token may read the catalog. Filter on id, productId, name, createdAt, updatedAt.',
        querystring: ListQuerySchema,
        response: { 200: PolicyList, ...problems('invalid-params', 'forbidden') },
      },
    },
    async (request) =>
      listBody(
        await services.policies.list(contextOf(request, clock), request.query),
        request.query.include,
      ),
  );

  app.get(
    '/v1/policies/:policyId',
    {
      schema: {
        tags: ['policies'],
        summary: 'Get a policy',
        params: PolicyParams,
        response: { 200: PolicySchema, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      const policy = await services.policies.get(
        contextOf(request, clock),
        request.params.policyId,
      );
      return reply.header('etag', `"${String(policy.revision)}"`).send(policy);
    },
  );

  app.patch(
    '/v1/policies/:policyId',
    {
      schema: {
        tags: ['policies'],
        summary: 'Change a policy',
        description:
          "Operators only. Its licenses follow at once (their terms are the policy's, read on every use, under their own overrides). If-Match: the revision the change is based on (409 when stale).",
        params: PolicyParams,
        headers: IfMatchHeaders,
        body: PolicyPatchSchema,
        response: { 200: PolicySchema, ...bodyProblems('forbidden', 'not-found', 'conflict') },
      },
    },
    async (request, reply) => {
      const policy = await services.policies.update(
        contextOf(request, clock),
        request.params.policyId,
        request.body,
        revisionOf(request.headers['if-match']),
      );
      return reply.header('etag', `"${String(policy.revision)}"`).send(policy);
    },
  );

  app.delete(
    '/v1/policies/:policyId',
    {
      schema: {
        tags: ['policies'],
        summary: 'Delete a policy',
        description: 'Operators only; a policy licenses are still bound to is in use (409).',
        params: PolicyParams,
        response: {
          204: Type.Null(),
          ...problems('invalid-params', 'forbidden', 'not-found', 'in-use'),
        },
      },
    },
    async (request, reply) => {
      await services.policies.remove(contextOf(request, clock), request.params.policyId);
      return reply.code(204).send(null);
    },
  );

  licensePolicyRoutes(app, { services, clock });
}

/** A license's policy, and its floating leases. */
function licensePolicyRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/licenses/:licenseId/policy',
    {
      schema: {
        tags: ['policies'],
        summary: "A license's policy and the terms it lives by",
        params: LicenseParams,
        response: {
          200: LicensePolicySchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.policies.licensePolicy(contextOf(request, clock), request.params.licenseId),
  );

  app.put(
    '/v1/licenses/:licenseId/policy',
    {
      schema: {
        tags: ['policies'],
        summary: 'Bind a license to a policy',
        description:
          "Operators and admins. The policy must be for the license's product; `overrides` replace any of its terms for this license.",
        params: LicenseParams,
        body: AssignPolicySchema,
        response: { 200: LicensePolicySchema, ...bodyProblems('forbidden', 'not-found') },
      },
    },
    (request) =>
      services.policies.assign(contextOf(request, clock), request.params.licenseId, request.body),
  );

  app.delete(
    '/v1/licenses/:licenseId/policy',
    {
      schema: {
        tags: ['policies'],
        summary: 'Unbind a license from its policy',
        params: LicenseParams,
        response: { 204: Type.Null(), ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.policies.unassign(contextOf(request, clock), request.params.licenseId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/licenses/:licenseId/renew',
    {
      schema: {
        tags: ['policies'],
        summary: 'Renew a policy-bound license for one more term',
        description:
          "Adds one term (`durationDays`) to the license's expiry, or to now, as its policy's `renewalBasis` says. 409 when the license has no policy, a perpetual term, or a clock that has not started.",
        params: LicenseParams,
        response: {
          200: LicenseSchema,
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    (request) => services.policies.renew(contextOf(request, clock), request.params.licenseId),
  );

  app.post(
    '/v1/licenses/:licenseId/leases',
    {
      schema: {
        tags: ['leases'],
        summary: 'Check a floating license out',
        description:
          "A lease of one of the license's concurrent seats for an instance, until `expiresAt` (heartbeats extend it). The instance's own live lease is renewed. `outcome` is WITHIN, OVERAGE (past the seat limit, within the policy's overage allowance) or RENEWED; all seats taken is 409 seat-limit-reached.",
        params: LicenseParams,
        body: CheckOutSchema,
        response: {
          201: Type.Object({
            lease: LeaseSchema,
            outcome: Type.Union([
              Type.Literal('WITHIN'),
              Type.Literal('OVERAGE'),
              Type.Literal('RENEWED'),
            ]),
            certificate: Type.Optional(
              Type.String({
                description:
                  'With `borrow`: a license certificate (docs/certificates.md) bound to the instance, with a `lease` claim, expiring with the lease.',
              }),
            ),
          }),
          ...bodyProblems(
            'forbidden',
            'not-found',
            'conflict',
            'seat-limit-reached',
            'license-not-usable',
            'rate-limited',
          ),
        },
      },
    },
    async (request, reply) => {
      const checked = await services.policies.checkOut(
        contextOf(request, clock),
        request.params.licenseId,
        request.body,
      );
      return reply
        .code(201)
        .header('location', `/v1/licenses/${request.params.licenseId}/leases/${checked.lease.id}`)
        .send(checked);
    },
  );

  app.get(
    '/v1/licenses/:licenseId/leases',
    {
      schema: {
        tags: ['leases'],
        summary: "A license's leases",
        description: 'An instance token sees its own lease only.',
        params: LicenseParams,
        response: {
          200: Type.Object({ items: Type.Array(LeaseSchema) }),
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.policies.leases(contextOf(request, clock), request.params.licenseId),
    }),
  );

  app.post(
    '/v1/licenses/:licenseId/leases/:leaseId/heartbeat',
    {
      schema: {
        tags: ['leases'],
        summary: 'Heartbeat a lease',
        description:
          'Keeps the lease alive and extends it; a lease that missed its heartbeats or expired is 409 with reason HEARTBEAT_DEAD or LEASE_EXPIRED (check out again).',
        params: LeaseParams,
        response: {
          200: LeaseSchema,
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    (request) =>
      services.policies.heartbeat(
        contextOf(request, clock),
        request.params.licenseId,
        request.params.leaseId,
      ),
  );

  app.delete(
    '/v1/licenses/:licenseId/leases/:leaseId',
    {
      schema: {
        tags: ['leases'],
        summary: 'Check a lease in',
        description: 'Frees its seat at once.',
        params: LeaseParams,
        response: { 204: Type.Null(), ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.policies.checkIn(
        contextOf(request, clock),
        request.params.licenseId,
        request.params.leaseId,
      );
      return reply.code(204).send(null);
    },
  );
}
