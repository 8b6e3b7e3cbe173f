/**
 * Schemas of the profile and the user object, shared by our own `/auth` routes and the app's: one
 * vocabulary (src/services/taxonomy.ts), one shape of the user (contract §3).
 */
import { Type, type Static } from 'typebox';
import type { SignIn } from '../services/auth.js';
import { HOSPITAL_REF_ID_MAX, HOSPITAL_REF_ID_MIN } from '../services/profile.js';
import { DEPARTMENT_GROUP_CODES, PROFESSION_CODES, SENIORITY_CODES, SPECIALIZATION_CODES, STATE_CODES } from '../services/taxonomy.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** Every profile field, each optional; routes pick which are required. Codes: `GET /taxonomy`. */
export const profileProperties = {
  profession: Type.Enum(PROFESSION_CODES, { description: 'physician, nurse or other' }),
  seniority: Type.Enum(SENIORITY_CODES, { description: 'Must fit the profession; none for `other`' }),
  department_group: Type.Enum(DEPARTMENT_GROUP_CODES, { description: 'Department group' }),
  specialization_code: Type.Enum(SPECIALIZATION_CODES, { description: 'Specialization code; must belong to the department group' }),
  state_code: Type.Enum(STATE_CODES, { description: 'German state code (BW, BY, ...)' }),
  hospital_ref_id: Nullable(
    Type.Integer({
      minimum: HOSPITAL_REF_ID_MIN,
      maximum: HOSPITAL_REF_ID_MAX,
      description: "An id of the app's hospital directory; null for 'other / not listed'",
    }),
  ),
  hospital_id: Type.String({ minLength: 1, maxLength: 255, description: "Legacy: a hospital's name, or `not_specified`" }),
  specialty: Type.String({ minLength: 1, maxLength: 100, description: 'Legacy: the department group, or `not_specified`' }),
  role_level: Type.String({ minLength: 1, maxLength: 50, description: 'Legacy: the seniority, or `not_specified`' }),
};

export const ConsentVersion = Type.String({ minLength: 1, maxLength: 32, description: 'Version of the accepted document, e.g. "2026-05"' });

/** The stored profile as answers show it (the user object, a finalized week's snapshot): null where unset. */
export const profileSnapshotProperties = {
  hospital_id: Nullable(Type.String()),
  specialty: Nullable(Type.String()),
  role_level: Nullable(Type.String()),
  state_code: Nullable(Type.String()),
  country_code: Type.String(),
  profession: Nullable(Type.String()),
  seniority: Nullable(Type.String()),
  department_group: Nullable(Type.String()),
  specialization_code: Nullable(Type.String()),
  hospital_ref_id: Nullable(Type.Integer()),
};

/** The user object (the app's `UserOut`): every key present, null where unset. */
export const UserBody = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  ...profileSnapshotProperties,
  created_at: Type.String({ format: 'date-time' }),
  terms_accepted_version: Nullable(Type.String()),
  privacy_accepted_version: Nullable(Type.String()),
  consent_accepted_at: Nullable(Type.String({ format: 'date-time' })),
  registration_complete: Type.Boolean(),
  consent_required: Type.Boolean({ description: 'The user has not accepted the current terms and privacy policy' }),
});

/** Every token answer: the app reads `access_token` and `expires_at`. */
export const TokenBody = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_at: Type.String({ format: 'date-time' }),
  user_id: Type.String({ format: 'uuid' }),
});

/** The token answer of a sign-in. */
export function tokenAnswer({ token, user }: SignIn): Static<typeof TokenBody> {
  return { access_token: token.token, token_type: 'bearer', expires_at: token.expiresAt.toISOString(), user_id: user.id };
}
