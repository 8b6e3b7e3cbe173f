/** Schema pieces that several route files document the same way. */
import { Type } from 'typebox';

/** Every error body: `{"detail": "..."}`. */
export const ErrorBody = Type.Object({ detail: Type.String() });

/** `response` entries documenting the error statuses a route can answer. */
export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorBody]));

/** OpenAPI `security` of routes that take the bearer token. */
export const bearerSecurity = [{ bearerAuth: [] }];

/**
 * Paging offset. Bounded, so that the database never receives a number beyond its integer range (which
 * PostgreSQL and SQLite both answer with an error, i.e. a 500); no listing comes anywhere near it.
 */
export const MAX_OFFSET = 1_000_000_000;
export const Offset = Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, description: 'Number of rows to skip' });
