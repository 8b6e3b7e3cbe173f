/**
 * Removes personal contact data from free text before it is stored: feedback must never keep an e-mail
 * address (the service otherwise stores only HMACs of addresses) and should not keep phone numbers.
 *
 * Both patterns only start a match where a run of their characters begins (a lookbehind), so each
 * character is scanned a bounded number of times: linear time, and a hostile 5,000-character description
 * cannot stall the event loop.
 */

export const EMAIL_PLACEHOLDER = '[email removed]';
export const PHONE_PLACEHOLDER = '[phone removed]';

/**
 * The local part takes every character RFC 5322 allows unquoted, plus non-ASCII letters (`jürgen@klinik.de`);
 * the top-level domain needs at least two letters. Domain labels are separated by a mandatory dot, which
 * keeps the repetition unambiguous.
 */
const EMAIL = /(?<![\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-])[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}/gu;

/**
 * A phone number starts like one does in Germany and abroad: `+`, `00` or a leading `0`, optionally inside
 * an opening parenthesis (`(030) 1234567`), followed by digit groups separated by a space, `-`, `/` or
 * parentheses. Dots are not separators here, so dates (`01.03.2026`) and version numbers are left alone;
 * a candidate may not continue a number that came before it (`2026-03-15` does not start a phone number
 * at `03`). At least 7 digits make a phone number; a longer run than E.164's 15
 * digits is usually two numbers written next to each other and is removed as well.
 */
const PHONE_CANDIDATE = /(?<![\p{L}\p{N}]|\d[-./])\(?(?:\+|0)\d(?:[ \-/()]{0,3}\d)+/gu;
const MIN_PHONE_DIGITS = 7;

export function scrubEmails(text: string): string {
  return text.replace(EMAIL, EMAIL_PLACEHOLDER);
}

export function scrubPhoneNumbers(text: string): string {
  return text.replace(PHONE_CANDIDATE, (candidate) => {
    const digits = candidate.replace(/\D/g, '').length;
    return digits >= MIN_PHONE_DIGITS ? PHONE_PLACEHOLDER : candidate;
  });
}

/** Free text written by a person: e-mail addresses first (they may contain digit runs), then phones. */
export function scrubContactData(text: string): string {
  return scrubPhoneNumbers(scrubEmails(text));
}

/**
 * Removes e-mail addresses from every string (keys and values) inside a JSON value, e.g. an app state that
 * happens to include the address the user typed on the login screen. Phone numbers are left: app state is
 * full of numbers (timestamps, ids) that merely look like them.
 */
export function scrubEmailsDeep(value: unknown): unknown {
  if (typeof value === 'string') return scrubEmails(value);
  if (Array.isArray(value)) return value.map(scrubEmailsDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [scrubEmails(key), scrubEmailsDeep(inner)]));
  }
  return value;
}
