import { Type } from 'typebox';
import { ActivationTokenSchema } from '../../../domain/activation-token.js';
import { LicenseSchema } from '../../../domain/license.js';
import { listOf } from '../../schemas.js';

export const ActivationTokenParams = Type.Object(
  { tokenId: Type.String({ pattern: '^at_[0-9a-f-]{36}$', description: 'The token record id.' }) },
  { additionalProperties: false },
);

export const ActivationTokenList = listOf(ActivationTokenSchema, 'ActivationTokenList');

export const IssuedActivationTokenSchema = Type.Object(
  {
    ...ActivationTokenSchema.properties,
    token: Type.String({
      description: 'The token to hand to the customer. Shown in this answer only.',
      examples: ['3K9QZ-T7M2B-X4WPA-8HD1C'],
    }),
  },
  { additionalProperties: false },
);

export const RedemptionSchema = Type.Object(
  {
    activationToken: ActivationTokenSchema,
    licenses: Type.Array(LicenseSchema),
  },
  { additionalProperties: false },
);
