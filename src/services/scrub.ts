/**
 * Removes personal contact data from free text before it is stored: feedback must never keep an e-mail
 * address (the service otherwise stores only HMACs of addresses) and should not keep phone numbers.
 *
 * Both patterns only start a match where a run of their characters begins (a lookbehind), so each
 * character is scanned a bounded number of times: linear time, and a hostile 5,000-character description
 * cannot stall the event loop.
 *
 * They match a folded copy of the text (NFKC, invisible characters dropped, percent-escapes decoded, any
 * Unicode space or dash read as a plain one), so writing an address or number differently does not hide it;
 * what is stored is the original with the matches replaced.
 */

export const EMAIL_PLACEHOLDER = '[email removed]';
export const PHONE_PLACEHOLDER = '[phone removed]';

/**
 * The local part takes every character RFC 5322 allows unquoted, plus non-ASCII letters (`jürgen@klinik.de`);
 * the top-level domain needs at least two letters. Domain labels are separated by a mandatory dot, which
 * keeps the repetition unambiguous. Combining marks count as part of a label (scripts that NFKC leaves
 * decomposed).
 */
const EMAIL =
  /(?<![\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~.-])[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~.-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?\.)+\p{L}[\p{L}\p{M}]+/gu;

/**
 * A phone number starts like one does in Germany and abroad: `+`, `00` or a leading `0`, optionally inside
 * an opening parenthesis (`(030) 1234567`), followed by digit groups separated by a space, `-`, `/` or
 * parentheses (every Unicode space and dash reads as one, see `fold`). Dots are not separators here, so
 * dates (`01.03.2026`) and version numbers are left alone; a candidate may not continue a number that came
 * before it (`2026-03-15` does not start a phone number at `03`). At least 7 digits make a phone number; a
 * longer run than E.164's 15 digits is usually two numbers written next to each other and is removed as well.
 */
const PHONE_CANDIDATE = /(?<![\p{L}\p{N}]|\d[-./])\(?(?:\+|0)\d(?:[ \-/()]{0,3}\d)+/gu;
const MIN_PHONE_DIGITS = 7;

/**
 * The text the patterns look at, with each of its UTF-16 units mapped back to the range of the original
 * it came from. Matching runs on this folded copy; only the matched ranges of the original are replaced, so
 * ordinary text keeps every character (an ellipsis, a soft hyphen, an emoji sequence) exactly as written.
 */
interface Folded {
  text: string;
  start: number[];
  end: number[];
}

/** A run of percent-escapes (decoded together: one character may take several UTF-8 bytes), or a character with its combining marks. */
const UNIT = /(?:%[0-9A-Fa-f]{2})+|\P{M}\p{M}*|\p{M}+/gu;
/** Invisible characters a person or a client can slip into an address: zero-width space and joiners, soft hyphen, word joiner, BOM, variation selectors. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const SPACE = /\p{Zs}/gu;
/** Every dash and hyphen, and the minus sign. */
const DASH = /[\p{Pd}\u2212]/gu;

/** NFKC (full-width `＠`, composed umlauts), without invisible characters, every space a space and every dash `-`. */
function foldUnit(unit: string): string {
  return unit.normalize('NFKC').replace(INVISIBLE, '').replace(SPACE, ' ').replace(DASH, '-');
}

function percentDecoded(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    // Not UTF-8 (`%E2%82` cut short): matched as written.
    return run;
  }
}

/**
 * `decodePercent`: read percent-escapes as what they encode. Both readings are matched, because decoding can
 * also break an address that was written plainly (`%0a@a.aa` is an address as written, not once decoded).
 */
function fold(original: string, decodePercent: boolean): Folded {
  const folded: Folded = { text: '', start: [], end: [] };
  for (const match of original.matchAll(UNIT)) {
    const unit = match[0];
    const text =
      decodePercent && unit.startsWith('%')
        ? [...percentDecoded(unit).matchAll(UNIT)].map(([inner]) => foldUnit(inner)).join('')
        : foldUnit(unit);
    for (let i = 0; i < text.length; i++) {
      folded.start.push(match.index);
      folded.end.push(match.index + unit.length);
    }
    folded.text += text;
  }
  return folded;
}

/** A range of the original text to replace. */
interface Removal {
  from: number;
  to: number;
  placeholder: string;
}

/** The original with each removal's range replaced by its placeholder; overlapping removals become one. */
function apply(original: string, removals: Removal[]): string {
  let out = '';
  let at = 0;
  for (const { from, to, placeholder } of removals.sort((a, b) => a.from - b.from || b.to - a.to)) {
    if (from < at) {
      // Overlaps the removal just made (both readings, or both patterns, touched it): extend that one.
      if (to > at) at = to;
      continue;
    }
    out += original.slice(at, from) + placeholder;
    at = to;
  }
  return out + original.slice(at);
}

/** The ranges of the original behind matches found in a folded copy. */
function removals(folded: Folded, matches: Iterable<RegExpMatchArray>, placeholder: string): Removal[] {
  return [...matches].map((m) => ({ from: folded.start[m.index!]!, to: folded.end[m.index! + m[0].length - 1]!, placeholder }));
}

function emailRemovals(folded: Folded): Removal[] {
  return removals(folded, folded.text.matchAll(EMAIL), EMAIL_PLACEHOLDER);
}

/** Phone numbers in `text`, a copy of `folded.text` of the same length (e.g. with addresses masked out). */
function phoneRemovals(folded: Folded, text: string): Removal[] {
  const numbers = [...text.matchAll(PHONE_CANDIDATE)].filter((m) => m[0].replace(/\D/g, '').length >= MIN_PHONE_DIGITS);
  return removals(folded, numbers, PHONE_PLACEHOLDER);
}

/** The folded readings of a text: as written, and with percent-escapes decoded when it has any. */
function readings(text: string): Folded[] {
  return text.includes('%') ? [fold(text, true), fold(text, false)] : [fold(text, false)];
}

/** Cheap check: text that cannot hold an address or phone number is returned as it is, without folding. */
const MAYBE_CONTACT = /[@%\uFE6A\uFE6B\uFF05\uFF20]|\p{N}.*\p{N}/su;

export function scrubEmails(text: string): string {
  if (!MAYBE_CONTACT.test(text)) return text;
  return apply(text, readings(text).flatMap(emailRemovals));
}

export function scrubPhoneNumbers(text: string): string {
  if (!MAYBE_CONTACT.test(text)) return text;
  return apply(text, readings(text).flatMap((folded) => phoneRemovals(folded, folded.text)));
}

/**
 * Free text written by a person: e-mail addresses first (they may contain digit runs), then phone numbers
 * in what is left (the addresses masked out, so a number inside one is not matched twice).
 */
export function scrubContactData(text: string): string {
  if (!MAYBE_CONTACT.test(text)) return text;
  return apply(
    text,
    readings(text).flatMap((folded) => {
      const emails = [...folded.text.matchAll(EMAIL)];
      let masked = '';
      let at = 0;
      for (const m of emails) {
        masked += folded.text.slice(at, m.index) + '#'.repeat(m[0].length);
        at = m.index! + m[0].length;
      }
      masked += folded.text.slice(at);
      return [...removals(folded, emails, EMAIL_PLACEHOLDER), ...phoneRemovals(folded, masked)];
    }),
  );
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
