/** Schema pieces that several route files document the same way. */
import { Type } from 'typebox';

/** Every error body: `{"detail": "..."}`. */
export const ErrorBody = Type.Object({ detail: Type.String() });

/** `response` entries documenting the error statuses a route can answer. */
export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorBody]));

/** OpenAPI `security` of routes that take the bearer token. */
export const bearerSecurity = [{ bearerAuth: [] }];
