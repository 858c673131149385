import { Type, type Static } from 'typebox';

/** Riverbed NetProfiler `mgmt.licenses` 1.0 shapes, with the document's exact field names. */

export const NpLicenseSchema = Type.Object(
  {
    key: Type.String(),
    description: Type.String(),
    'device serial number': Type.String(),
    'installed date': Type.String({ examples: ['Thu, 24 Feb 2022 00:16:43 GMT'] }),
    status: Type.Enum(['Valid', 'Invalid']),
  },
  { additionalProperties: false },
);
export type NpLicense = Static<typeof NpLicenseSchema>;

/** The example's wrapper (the schema table says a bare array; see docs/compat/netprofiler.md). */
export const NpLicenseListSchema = Type.Object(
  { Licenses: Type.Array(NpLicenseSchema) },
  { additionalProperties: false },
);

const Key = Type.String({ maxLength: 512 });

export const KeysBodySchema = Type.Array(Key, { minItems: 1, maxItems: 500 });

/**
 * DELETE takes an array of keys; the document's own request example is an array of
 * `{ "<key>": "<result>" }` objects (a copy of its response), so each item may be either.
 */
export const DeleteBodySchema = Type.Array(
  Type.Union([Key, Type.Record(Key, Type.String(), { minProperties: 1, maxProperties: 1 })]),
  { minItems: 1, maxItems: 500 },
);

export const KeyResultsSchema = Type.Array(Type.Record(Type.String(), Type.String()));

export const MessageSchema = Type.Object(
  { Message: Type.String() },
  { additionalProperties: false },
);

export const ValueSchema = Type.Object(
  { value: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const AutoDownloadSchema = Type.Object(
  { value: Type.Enum(['true', 'false']) },
  { additionalProperties: false },
);

export const NpErrorSchema = Type.Object(
  {
    error_id: Type.String(),
    error_text: Type.String(),
    error_info: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type NpError = Static<typeof NpErrorSchema>;
