import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { handleError } from '../../plugins/errors.js';
import { AccessCodeSchema, Username, UserSchema } from '../../../domain/user.js';
import { listOf } from '../../schemas.js';

export const UserParams = Type.Object({ username: Username }, { additionalProperties: false });

export const AccessCodeParams = Type.Object(
  {
    username: Username,
    codeId: Type.String({ pattern: '^ac_[0-9a-f-]{36}$', description: 'The access code id.' }),
  },
  { additionalProperties: false },
);

export const UserList = listOf(UserSchema, 'UserList');

export const IssuedAccessCodeSchema = Type.Object(
  {
    ...AccessCodeSchema.properties,
    code: Type.String({
      description: 'The access code (NetProfiler OAuth). Shown in this answer only.',
    }),
  },
  { additionalProperties: false },
);

export const AccessCodeList = Type.Object(
  { items: Type.Array(AccessCodeSchema) },
  { additionalProperties: false },
);

/**
 * The route error handler of the routes whose body holds a password: V8's message for malformed
 * JSON quotes the body (`Unexpected token 'h', "hunter2…" is not valid JSON`), and the native
 * handler logs the message. Replaced before it is logged or sent.
 */
export function withoutBodyQuotes(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): unknown {
  if (error.statusCode === 400 && !error.validation && error.message.includes('JSON')) {
    error.message = 'The request body is not valid JSON.';
  }
  return handleError(error, request, reply);
}
