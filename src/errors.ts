/**
 * The one error type the service raises on purpose. Its `detail` is shown to the user by the mobile app, so
 * it must be a clear sentence and must never contain internals.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    /** Fields sent next to `detail`, for clients that act on the error (e.g. the id of a conflicting row). */
    readonly fields: Record<string, string | number> = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const badRequest = (detail: string) => new AppError(400, detail);
export const unauthorized = (detail = 'Not authenticated') =>
  new AppError(401, detail, { 'www-authenticate': 'Bearer' });
export const forbidden = (detail: string) => new AppError(403, detail);
export const notFound = (detail = 'Not found') => new AppError(404, detail);
export const conflict = (detail: string, fields: Record<string, string | number> = {}) => new AppError(409, detail, {}, fields);
export const unsupportedMediaType = (detail: string) => new AppError(415, detail);
export const unprocessable = (detail: string) => new AppError(422, detail);
export const tooManyRequests = (retryAfterSeconds: number, detail = 'Too many requests, please try again later') =>
  new AppError(429, detail, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
export const notImplemented = (detail: string) => new AppError(501, detail);
export const serviceUnavailable = (detail: string) => new AppError(503, detail);
