/**
 * HTTP Basic authentication for operator endpoints (`/admin/*`, `/metrics`): `app.adminAuth`, a hook to use
 * as `onRequest` (preferred: it refuses before a body is even read) or `preHandler`.
 *
 * - Without `ADMIN_PASSWORD` every protected endpoint answers 503 and the rest of the service runs on.
 * - Wrong credentials count against a per-IP limit in the database (10 per 15 minutes, shared by every
 *   server process); once reached, even the right password gets 429 until the window has moved, so the
 *   password cannot be guessed at speed. Every attempt with credentials is recorded *before* they are
 *   compared and counted after its own record (the rate limiter's `hit`), so however many guesses arrive at
 *   once, at most 10 are ever compared; the record of a right attempt is dropped again, so only failures
 *   count.
 * - State-changing requests (anything but GET/HEAD/OPTIONS) from another site are refused with 403 before
 *   the credentials are looked at: a browser attaches cached Basic credentials to a cross-site form post,
 *   and a `text/plain` form needs no CORS preflight. See `isCrossSiteRequest`.
 * - Username and password are compared as SHA-256 digests with `timingSafeEqual`: equal-length inputs, so
 *   neither their content nor their length shows in the response time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden, serviceUnavailable } from '../errors.js';
import { clientKey, MINUTES } from '../services/rate-limiter.js';

export const ADMIN_REALM = 'Open Working Hours admin';
export const ADMIN_FAILED_LOGIN_LIMIT = { max: 10, windowMs: 15 * MINUTES };

const TOO_MANY_FAILURES = 'Too many failed admin logins, please try again later';

export type AdminAuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** `user:password` from a Basic `Authorization` header, or null when there is none or it is malformed. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser sent this request on behalf of another site (the rule of Go's `CrossOriginProtection`):
 * `Sec-Fetch-Site` (sent by every current browser) must be `same-origin` or `none` (typed in, bookmark);
 * without it, an `Origin` must name this host. A request with neither header does not come from a browser
 * page (curl, scripts) and is served. The host is compared, not the scheme, so that a TLS-terminating proxy
 * without `TRUSTED_PROXIES` does not lock the operator out; `Origin: null` (sandboxed pages) is refused.
 */
export function isCrossSiteRequest(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string') return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

const challenge = (detail: string) =>
  new AppError(401, detail, { 'www-authenticate': `Basic realm="${ADMIN_REALM}", charset="UTF-8"` });

export function installAdminAuth(app: FastifyInstance): void {
  const { adminUsername, adminPassword } = app.config;
  const expectedUser = digest(adminUsername);
  const expectedPassword = adminPassword === null ? null : digest(adminPassword);
  const limiter = app.services.rateLimiter;

  const adminAuth: AdminAuthHook = async (request, reply) => {
    // Whatever the outcome, nothing behind admin credentials may be kept by a browser or proxy cache.
    reply.header('cache-control', 'no-store');
    if (!SAFE_METHODS.has(request.method) && isCrossSiteRequest(request)) {
      throw forbidden('Admin changes are only accepted from the admin page itself, not from another site.');
    }
    if (expectedPassword === null) throw serviceUnavailable('Admin dashboard disabled');

    const bucket = `admin-login:${clientKey(request.ip)}`;
    const credentials = parseBasicAuth(request.headers.authorization);
    if (!credentials) {
      // No credentials at all is how every browser starts (it asks the user after this 401): not a failure,
      // so it is not recorded; a locked address still learns that it is locked.
      await limiter.check(bucket, [ADMIN_FAILED_LOGIN_LIMIT], TOO_MANY_FAILURES);
      throw challenge('Admin credentials required');
    }

    const attempt = await limiter.hit(bucket, [ADMIN_FAILED_LOGIN_LIMIT], TOO_MANY_FAILURES);
    const userOk = timingSafeEqual(digest(credentials.username), expectedUser);
    const passwordOk = timingSafeEqual(digest(credentials.password), expectedPassword);
    if (userOk && passwordOk) {
      await limiter.release(attempt);
      return;
    }

    request.log.warn({ ip: request.ip }, 'admin login failed');
    throw challenge('Invalid admin credentials');
  };

  app.decorate('adminAuth', adminAuth);
}
