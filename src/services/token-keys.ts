import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { TokenConfig } from '../config.js';
import type { Clock } from '../domain/clock.js';
import { Unauthenticated } from '../domain/errors.js';

/** Signs and verifies bearer tokens with whichever key material the configuration names. */
export interface TokenKeys {
  /** The JWS algorithm tokens are signed and accepted with. */
  readonly algorithm: string;
  /** False when tokens come from an external issuer (JWKS): this server can only verify. */
  readonly canSign: boolean;
  sign(claims: JWTPayload, issuedAt: Date, expiresAt: Date, tokenId: string): Promise<string>;
  /** Verified claims, or Unauthenticated naming what is wrong with the token. */
  verify(token: string, clock: Clock): Promise<JWTPayload>;
}

export function loadTokenKeys(config: TokenConfig): TokenKeys {
  if (config.jwksUrl !== undefined) {
    return remoteKeys(config, createRemoteJWKSet(new URL(config.jwksUrl)));
  }
  if (config.privateKeyFile !== undefined || config.publicKeyFile !== undefined) {
    return keyPair(config);
  }
  return sharedSecret(config, readOrCreateSecret(config.secretFile));
}

/** Reads the HS256 secret, creating it (256 random bits, mode 0600) the first time. */
export function readOrCreateSecret(file: string): Uint8Array {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (secret.length < 32) {
    throw new Error(`token secret in ${file} is shorter than 256 bits; remove it to generate one`);
  }
  return secret;
}

function sharedSecret(config: TokenConfig, secret: Uint8Array): TokenKeys {
  return {
    algorithm: 'HS256',
    canSign: true,
    sign: (claims, issuedAt, expiresAt, tokenId) =>
      signWith(config, 'HS256', secret, claims, issuedAt, expiresAt, tokenId),
    verify: (token, clock) => verifyWith(config, ['HS256'], secret, token, clock),
  };
}

function keyPair(config: TokenConfig): TokenKeys {
  const privateKey =
    config.privateKeyFile === undefined
      ? undefined
      : createPrivateKey(readFileSync(config.privateKeyFile));
  const publicKey: KeyObject =
    config.publicKeyFile !== undefined
      ? createPublicKey(readFileSync(config.publicKeyFile))
      : createPublicKey(privateKey as KeyObject);
  if (privateKey !== undefined) assertPair(privateKey, publicKey);
  const algorithm = algorithmFor(publicKey);
  return {
    algorithm,
    canSign: privateKey !== undefined,
    sign: (claims, issuedAt, expiresAt, tokenId) => {
      if (privateKey === undefined)
        return Promise.reject(cannotSign('no private key is configured'));
      return signWith(config, algorithm, privateKey, claims, issuedAt, expiresAt, tokenId);
    },
    verify: (token, clock) => verifyWith(config, [algorithm], publicKey, token, clock),
  };
}

function remoteKeys(config: TokenConfig, jwks: JWTVerifyGetKey): TokenKeys {
  const algorithms = ['EdDSA', 'RS256', 'PS256', 'ES256', 'ES384', 'ES512'];
  return {
    algorithm: 'JWKS',
    canSign: false,
    sign: () => Promise.reject(cannotSign('tokens are issued by the external issuer (JWKS)')),
    verify: (token, clock) => verifyWith(config, algorithms, jwks, token, clock),
  };
}

const EC_ALGORITHMS: Record<string, string> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** The JWS algorithm a key signs with: Ed25519, RSA, RSA-PSS or EC on P-256/384/521. */
function algorithmFor(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const algorithm = EC_ALGORITHMS[curve];
      if (algorithm === undefined)
        throw new Error(`unsupported EC curve '${curve}' for tokens; use P-256, P-384 or P-521`);
      return algorithm;
    }
    default:
      throw new Error(`unsupported token key type '${String(key.asymmetricKeyType)}'`);
  }
}

/** A private key and a public key given together must be one pair, or minted tokens would not verify. */
function assertPair(privateKey: KeyObject, publicKey: KeyObject): void {
  const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  if (!derived.equals(publicKey.export({ format: 'der', type: 'spki' }))) {
    throw new Error('the token private key and public key files are not one key pair');
  }
}

function cannotSign(why: string): Error {
  return new Error(`this server cannot mint tokens: ${why}`);
}

async function signWith(
  config: TokenConfig,
  algorithm: string,
  key: Uint8Array | KeyObject,
  claims: JWTPayload,
  issuedAt: Date,
  expiresAt: Date,
  tokenId: string,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .setJti(tokenId)
    .sign(key);
}

async function verifyWith(
  config: TokenConfig,
  algorithms: string[],
  key: Uint8Array | KeyObject | JWTVerifyGetKey,
  token: string,
  clock: Clock,
): Promise<JWTPayload> {
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms,
    currentDate: clock.now(),
    clockTolerance: 5,
    requiredClaims: ['sub', 'exp', 'iat'],
  };
  try {
    const { payload } =
      typeof key === 'function'
        ? await jwtVerify(token, key, options)
        : await jwtVerify(token, key, options);
    return payload;
  } catch (error) {
    throw new Unauthenticated(reasonFor(error));
  }
}

function reasonFor(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The bearer token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'The bearer token is not valid yet.';
    if (error.claim === 'aud') return 'The bearer token was issued for another audience.';
    if (error.claim === 'iss') return 'The bearer token was issued by an unknown issuer.';
    return `The bearer token's '${error.claim}' claim is missing or invalid.`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return "The bearer token's signing algorithm is not accepted.";
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return "The bearer token's signature is invalid.";
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return 'The bearer token was signed with an unknown key.';
  }
  return 'The bearer token is malformed.';
}
