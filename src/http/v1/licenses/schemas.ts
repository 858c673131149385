import { Type } from 'typebox';
import {
  INSTALL_RESULTS,
  LicenseSchema,
  UNINSTALL_RESULTS,
  VALIDATION_CODES,
} from '../../../domain/license.js';
import { listOf } from '../../schemas.js';

export const LicenseParams = Type.Object(
  {
    license: Type.String({
      pattern: '^(\\d{1,15}|license-\\d{1,15}-[0-9a-f-]{36})$',
      description: 'The resource id (license-<serial>-<uuid>) or the serial number.',
    }),
  },
  { additionalProperties: false },
);

export const LicenseList = listOf(LicenseSchema, 'LicenseList');

export const InstanceBody = Type.Object(
  {
    instance: Type.String({ format: 'uuid' }),
  },
  { additionalProperties: false },
);

export const OptionalInstanceBody = Type.Object(
  {
    instance: Type.Optional(
      Type.String({ format: 'uuid', description: 'Omit to deactivate on every instance.' }),
    ),
  },
  { additionalProperties: false },
);

export const ActivationSchema = Type.Object({
  instanceId: Type.String(),
  installId: Type.Integer(),
  deviceSerial: Type.String(),
  activatedAt: Type.String({ format: 'date-time' }),
  deactivatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const EntitlementsSchema = Type.Object({
  product: Type.Union([
    Type.Object({ id: Type.Integer(), slug: Type.String(), name: Type.String() }),
    Type.Null(),
  ]),
  features: Type.Array(Type.String()),
  metric: Type.Union([
    Type.Object({ id: Type.Integer(), name: Type.String(), unit: Type.String() }),
    Type.Null(),
  ]),
  quantity: Type.Number(),
  seatLimit: Type.Union([Type.Integer(), Type.Null()]),
  seatsUsed: Type.Integer(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  graceDays: Type.Integer(),
});

export const VerdictSchema = Type.Object({
  valid: Type.Boolean(),
  code: Type.Enum(VALIDATION_CODES),
  detail: Type.String(),
  license: Type.Union([LicenseSchema, Type.Null()]),
  entitlements: Type.Union([EntitlementsSchema, Type.Null()]),
});

export const InstallResults = Type.Object({
  results: Type.Array(Type.Object({ key: Type.String(), result: Type.Enum(INSTALL_RESULTS) })),
});
export const UninstallResults = Type.Object({
  results: Type.Array(Type.Object({ key: Type.String(), result: Type.Enum(UNINSTALL_RESULTS) })),
});

export const ScopeQuerySchema = Type.Object(
  {
    product: Type.String({ minLength: 1, maxLength: 64, description: 'Product id or slug.' }),
    instance: Type.Optional(Type.String({ format: 'uuid' })),
    account: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
  },
  { additionalProperties: false },
);
