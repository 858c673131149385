import { Type, type Static } from 'typebox';
import type { App, RouteDeps } from '../../types.js';

export const JwkSchema = Type.Object(
  {
    kty: Type.Literal('OKP'),
    crv: Type.Literal('Ed25519'),
    x: Type.String({ description: 'The 32-byte Ed25519 public key, base64url.' }),
    kid: Type.String({ description: 'Matches the `kid` header of the certificates it verifies.' }),
    alg: Type.Literal('EdDSA'),
    use: Type.Literal('sig'),
  },
  { title: 'Jwk' },
);

export const JwkSetSchema = Type.Object(
  {
    keys: Type.Array(JwkSchema, {
      description: 'Newest first. Empty until the server signs its first certificate.',
    }),
  },
  { title: 'JwkSet' },
);
export type JwkSet = Static<typeof JwkSetSchema>;

/** Clients may cache the set briefly; on an unknown `kid` they fetch it again. */
const CACHE_SECONDS = 300;

export function listKeys(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/keys',
    {
      config: { public: true },
      schema: {
        tags: ['keys'],
        summary: 'Public keys that verify license certificates (JWK set)',
        description:
          'No token needed. The current signing key and every retired key whose certificates have not all expired. See docs/certificates.md.',
        security: [],
        response: { 200: JwkSetSchema },
      },
    },
    async (_request, reply) => {
      const set = await services.signingKeys.publishedKeys(clock.now());
      return reply.header('cache-control', `public, max-age=${CACHE_SECONDS}`).send(set);
    },
  );
}
