/**
 * The rules of a profile, in one place for every door that sets one: our `/auth/register` and
 * `PATCH /auth/me`, and the app's `/auth/register`, `/auth/social/register` and `PATCH /auth/me/profile`.
 *
 * The app sends each choice twice: in its v2 field and in a legacy field (`specialty` = department group,
 * `role_level` = seniority, `not_specified` where nothing was chosen). The legacy fields follow the v2 fields,
 * so the statistics cell a person counts in (their department group) and the cell the app asks for (their
 * `specialty`) are always the same.
 */
import type { ProfileColumns, User } from '../db/schema.js';
import { unprocessable } from '../errors.js';
import {
  NOT_SPECIFIED,
  groupOfSpecialization,
  isDepartmentGroup,
  isProfession,
  isSeniority,
  isSpecializationCode,
  isStateCode,
  seniorityFits,
} from './taxonomy.js';

/** A profile as a client sends it: any key may be absent. */
export interface ProfileInput {
  profession?: string;
  seniority?: string;
  department_group?: string;
  specialization_code?: string;
  state_code?: string;
  /** A hospital of the app's directory, or null for "other / not listed". */
  hospital_ref_id?: number | null;
  hospital_id?: string;
  specialty?: string;
  role_level?: string;
}

/** The stored profile columns; with the country, what the user object and a finalized week show. */
export type { ProfileColumns };
export type ProfileSnapshot = ProfileColumns & { country_code: string };

/** The profile fields of a user (or of a stored snapshot), e.g. to store with a finalized week. */
export function profileSnapshot(row: ProfileSnapshot): ProfileSnapshot {
  const snapshot = Object.fromEntries(PROFILE_COLUMNS.map((column) => [column, row[column]])) as unknown as ProfileColumns;
  return { ...snapshot, country_code: row.country_code };
}

export const PROFILE_COLUMNS = [
  'profession',
  'seniority',
  'department_group',
  'specialization_code',
  'state_code',
  'hospital_ref_id',
  'hospital_id',
  'specialty',
  'role_level',
] as const satisfies readonly (keyof ProfileColumns)[];

/** Bounds of `hospital_ref_id` (a 32-bit integer column on both databases). */
export const HOSPITAL_REF_ID_MIN = -2_147_483_648;
export const HOSPITAL_REF_ID_MAX = 2_147_483_647;

/** The profile of a registration: a profession is required, everything else may be absent. */
export function registrationProfile(input: ProfileInput): ProfileColumns {
  if (input.profession === undefined) throw unprocessable('profession: is required');
  const empty = Object.fromEntries(PROFILE_COLUMNS.map((column) => [column, null])) as unknown as ProfileColumns;
  return settle(empty, input);
}

/**
 * A profile after the changes of `PATCH`: keys that are present set their field (`hospital_ref_id` even to
 * null), absent keys keep it. A stored seniority that does not fit a changed profession is cleared.
 */
export function updatedProfile(user: User, input: ProfileInput): ProfileColumns {
  const { country_code: _, ...current } = profileSnapshot(user);
  return settle(current, input);
}

/** A legacy field's value as its v2 field: `not_specified` is "nothing chosen". */
const fromLegacy = (value: string | undefined) => (value === undefined ? undefined : value === NOT_SPECIFIED ? null : value);

function text(field: 'hospital_id' | 'specialty' | 'role_level', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0) throw unprocessable(`${field}: must not be empty`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw unprocessable(`${field}: must not contain control characters`);
  return trimmed;
}

function settle(current: ProfileColumns, input: ProfileInput): ProfileColumns {
  const next = { ...current };
  const roleLevel = text('role_level', input.role_level);
  const specialty = text('specialty', input.specialty);

  if (input.profession !== undefined) {
    if (!isProfession(input.profession)) throw unprocessable(`profession: '${input.profession}' is not one of physician, nurse, other`);
    next.profession = input.profession;
  }

  const seniority = input.seniority ?? fromLegacy(roleLevel);
  if (input.seniority !== undefined && roleLevel !== undefined && roleLevel !== NOT_SPECIFIED && roleLevel !== input.seniority) {
    throw unprocessable(`role_level: must be the seniority ('${input.seniority}') or '${NOT_SPECIFIED}'`);
  }
  if (seniority !== undefined && seniority !== null) {
    if (!isSeniority(seniority)) throw unprocessable(`${input.seniority !== undefined ? 'seniority' : 'role_level'}: '${seniority}' is not a known seniority`);
    if (next.profession === null) throw unprocessable('profession: is required with a seniority');
    if (!seniorityFits(next.profession, seniority)) throw unprocessable(`Seniority '${seniority}' is not valid for profession '${next.profession}'.`);
  }
  if (seniority !== undefined) next.seniority = seniority;
  // `other` has no seniority; a stored one of another profession no longer fits after a change of profession.
  if (next.seniority !== null && (next.profession === null || !seniorityFits(next.profession, next.seniority))) next.seniority = null;

  if (input.specialization_code !== undefined && !isSpecializationCode(input.specialization_code)) {
    throw unprocessable(`specialization_code: '${input.specialization_code}' is not a known specialization code`);
  }
  let group = input.department_group ?? fromLegacy(specialty);
  if (input.department_group !== undefined && specialty !== undefined && specialty !== NOT_SPECIFIED && specialty !== group) {
    throw unprocessable(`specialty: must be the department group ('${group}') or '${NOT_SPECIFIED}'`);
  }
  if (group === undefined && input.specialization_code !== undefined) group = groupOfSpecialization(input.specialization_code);
  if (group !== undefined && group !== null && !isDepartmentGroup(group)) {
    throw unprocessable(
      input.department_group !== undefined
        ? `department_group: '${group}' is not a known department group`
        : `specialty: must be a department group or '${NOT_SPECIFIED}'`,
    );
  }
  if (group !== undefined) {
    // A code of the old group does not describe the new one.
    if (group !== next.department_group) next.specialization_code = null;
    next.department_group = group;
  }
  if (input.specialization_code !== undefined) {
    const owner = groupOfSpecialization(input.specialization_code);
    if (owner !== next.department_group) {
      throw unprocessable(`specialization_code: '${input.specialization_code}' belongs to department group '${owner}'`);
    }
    next.specialization_code = input.specialization_code;
  }

  if (input.state_code !== undefined) {
    const state = input.state_code.trim().toUpperCase();
    if (!isStateCode(state)) throw unprocessable(`state_code: '${input.state_code}' is not a German state code`);
    next.state_code = state;
  }
  if (input.hospital_ref_id !== undefined) next.hospital_ref_id = input.hospital_ref_id;
  const hospitalId = text('hospital_id', input.hospital_id);
  if (hospitalId !== undefined) next.hospital_id = hospitalId;

  // The legacy fields follow: what the app sends in them and what it queries the statistics with.
  if (next.profession !== null) {
    next.role_level = next.seniority ?? NOT_SPECIFIED;
    next.specialty = next.department_group ?? NOT_SPECIFIED;
    next.hospital_id ??= NOT_SPECIFIED;
  }
  return next;
}
