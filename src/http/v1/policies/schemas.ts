import { Type } from 'typebox';
import { PolicyOverridesSchema, PolicySchema } from '../../../domain/policy.js';
import { listOf } from '../../schemas.js';

export const PolicyParams = Type.Object(
  { policyId: Type.String({ pattern: '^pol_[0-9a-f]{16}$', description: 'The policy id.' }) },
  { additionalProperties: false },
);

export const PolicyList = listOf(PolicySchema, 'PolicyList');

export const LicenseParams = Type.Object(
  {
    licenseId: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'License id or serial number.',
    }),
  },
  { additionalProperties: false },
);

export const LeaseParams = Type.Object(
  {
    licenseId: LicenseParams.properties.licenseId,
    leaseId: Type.String({ pattern: '^lease_[0-9a-f-]{36}$', description: 'The lease id.' }),
  },
  { additionalProperties: false },
);

export const AssignPolicySchema = Type.Object(
  {
    policy: Type.String({ pattern: '^pol_[0-9a-f]{16}$', description: 'The policy to bind.' }),
    overrides: Type.Optional(PolicyOverridesSchema),
  },
  { additionalProperties: false },
);

export const CheckOutSchema = Type.Object(
  {
    instance: Type.Optional(
      Type.String({ format: 'uuid', description: "Default: the instance token's own instance." }),
    ),
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 31_536_000,
        description: "At most the policy's leaseSeconds (the default).",
      }),
    ),
    borrow: Type.Optional(
      Type.Boolean({
        description:
          'Borrow the lease for offline use: the answer carries a signed certificate valid until the lease ends.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      pattern: '^(W/)?"?\\d{1,9}"?$',
      description: 'The revision the change is based on.',
    }),
  ),
});
