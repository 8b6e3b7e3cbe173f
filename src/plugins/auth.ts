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
 *
 * Every response to a request that sends credentials (or was authenticated) carries `Cache-Control: no-store`,
 * whatever the route: it is personal, and no browser or proxy cache may keep it.
 *
 * Route constraint `{ credentials: 'bearer' }`: the route serves only requests that send an Authorization
 * header. Another route at the same method and path without the constraint serves those that send none
 * (find-my-way falls back to it). This is how our Bearer `/auth/register` (src/routes/auth.ts) and the
 * app's token-less one (src/routes/app-auth.ts) share one path.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import { isRegistrationComplete } from '../services/accounts.js';

export type AuthHook = (request: FastifyRequest) => Promise<void>;

export interface AuthHooks {
  required: AuthHook;
  registered: AuthHook;
  optional: AuthHook;
  /** The token of the Authorization header, null when none is sent; 401 for a malformed header. */
  bearerToken: (request: FastifyRequest) => string | null;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** Route constraint: `bearer` when the request sends credentials (any Authorization header). */
export const CREDENTIALS_CONSTRAINT = 'credentials';
const credentialsConstraint: Parameters<FastifyInstance['addConstraintStrategy']>[0] = {
  name: CREDENTIALS_CONSTRAINT,
  // Derived on every request, but only consulted on paths where a route uses the constraint.
  mustMatchWhenDerived: false,
  storage() {
    const handlers = new Map<string, unknown>();
    return {
      get: (value: string) => (handlers.get(value) ?? null) as never,
      set: (value: string, store: unknown) => void handlers.set(value, store),
    };
  },
  deriveConstraint: (req: IncomingMessage) => (req.headers.authorization ? 'bearer' : undefined),
  validate(value: unknown) {
    if (value !== 'bearer') throw new Error(`${CREDENTIALS_CONSTRAINT} constraint: only 'bearer' is supported`);
  },
};

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

  app.addHook('onSend', async (request, reply) => {
    if (request.user || request.headers.authorization !== undefined) reply.header('cache-control', 'no-store');
  });

  app.addConstraintStrategy(credentialsConstraint);
  app.decorateRequest('user', null);
  app.decorate('auth', { required, registered, optional, bearerToken } satisfies AuthHooks);
}
