import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';

/**
 * An instance is one install that consumes licenses: an appliance, a controller, an application.
 * It carries the identifiers each vendor API knows it by: HP's numeric install id and
 * NetProfiler's device serial number.
 */
export const INSTALL_ID_MIN = 1_000_000;
export const INSTALL_ID_MAX = 99_999_999;
export const DEVICE_SERIAL_PATTERN = '^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$';

const Labels = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9._/-]{1,63}$' }),
  Type.String({ maxLength: 255 }),
  {
    maxProperties: 50,
  },
);

export const InstanceSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    accountId: AccountId,
    installId: Type.Integer({
      minimum: INSTALL_ID_MIN,
      maximum: INSTALL_ID_MAX,
      description: "HP's install id (7–8 digits).",
    }),
    deviceSerial: Type.String({
      pattern: DEVICE_SERIAL_PATTERN,
      description: "NetProfiler's device serial number.",
    }),
    name: Type.String({ maxLength: 200 }),
    hostname: Type.Union([Type.String({ minLength: 1, maxLength: 253 }), Type.Null()]),
    fingerprint: Type.Union([Type.String({ minLength: 1, maxLength: 512 }), Type.Null()], {
      description: 'A machine fingerprint; validation can require it to match.',
    }),
    labels: Labels,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    lastSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type Instance = Static<typeof InstanceSchema>;

export const InstanceCreateSchema = Type.Object(
  {
    accountId: AccountId,
    installId: Type.Optional(InstanceSchema.properties.installId),
    deviceSerial: Type.Optional(InstanceSchema.properties.deviceSerial),
    name: Type.Optional(InstanceSchema.properties.name),
    hostname: Type.Optional(InstanceSchema.properties.hostname),
    fingerprint: Type.Optional(InstanceSchema.properties.fingerprint),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);
export type InstanceCreate = Static<typeof InstanceCreateSchema>;

export const InstancePatchSchema = Type.Object(
  {
    name: Type.Optional(InstanceSchema.properties.name),
    hostname: Type.Optional(InstanceSchema.properties.hostname),
    fingerprint: Type.Optional(InstanceSchema.properties.fingerprint),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type InstancePatch = Static<typeof InstancePatchSchema>;

/** An install id from 4 random bytes: uniform enough over 7–8 digit numbers for retries to be rare. */
export function installIdFrom(random: Uint8Array): number {
  const value = Buffer.from(random).readUInt32BE(0);
  return INSTALL_ID_MIN + (value % (INSTALL_ID_MAX - INSTALL_ID_MIN + 1));
}

const SERIAL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A NetProfiler-shaped device serial (`AABA-ACAA-4W4C-QVXB`) from 16 random bytes. */
export function deviceSerialFrom(random: Uint8Array): string {
  const chars = [...random.slice(0, 16)].map((byte) =>
    SERIAL_ALPHABET.charAt(byte % SERIAL_ALPHABET.length),
  );
  return [0, 4, 8, 12].map((at) => chars.slice(at, at + 4).join('')).join('-');
}
