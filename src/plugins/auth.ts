/**
 * Bearer-token authentication as preHandler hooks that routes opt into:
 *
 *   app.get('/x', { preHandler: app.auth.registered }, handler)
 *
 * They work in any request hook; as `onRequest` they run before the body is read and validated, so a
 * request without a valid token gets 401 rather than a 422 about its body.
 *
 * - `app.auth.required`: a valid access token of an existing user, else 401 with `WWW-Authenticate: Bearer`;
 * - `app.auth.registered`: as `required`, and the user has completed registration, else 403;
 * - `app.auth.optional`: sets `request.user` when a token is sent; no token is fine, an invalid one is 401.
 *
 * The hot path is one signature check (cached per token) and one primary-key read of the user.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import { isRegistrationComplete } from '../services/accounts.js';

export type AuthHook = (request: FastifyRequest) => Promise<void>;

export interface AuthHooks {
  required: AuthHook;
  registered: AuthHook;
  optional: AuthHook;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

export function installAuth(app: FastifyInstance): void {
  const { auth } = app.services;

  /** The token of the Authorization header, null when none is sent; 401 for a malformed header. */
  const bearerToken = (request: FastifyRequest): string | null => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') return null;
    const token = BEARER.exec(header)?.[1];
    if (!token) throw unauthorized('Invalid or expired token');
    return token;
  };

  const required: AuthHook = async (request) => {
    const token = bearerToken(request);
    if (token === null) throw unauthorized('Not authenticated');
    request.user = await auth.authenticate(token);
  };

  const registered: AuthHook = async (request) => {
    await required(request);
    if (!isRegistrationComplete(request.user!)) throw forbidden('Registration required');
  };

  const optional: AuthHook = async (request) => {
    const token = bearerToken(request);
    if (token !== null) request.user = await auth.authenticate(token);
  };

  app.decorateRequest('user', null);
  app.decorate('auth', { required, registered, optional } satisfies AuthHooks);
}
