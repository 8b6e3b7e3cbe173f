/**
 * Short pseudonymous user ids for operator screens: enough to see that two rows of one screen belong to the
 * same person, useless for finding out who it is. A keyed HMAC (not a plain hash) so that nobody can compute
 * the pseudonym of a known user id without the server's secret; never the e-mail hash, which is a stable
 * identifier used for login.
 *
 * Each screen has its own pseudonyms (the screen's name is part of the HMAC input): a feedback text that
 * names its author ("I am Dr. Bob, ward 4") must not tell the operator whose minutes are listed under
 * recent submissions.
 */
import { createHmac } from 'node:crypto';

export type Pseudonymizer = (userId: string) => string;

/** The operator screens that show users; each gets pseudonyms of its own. */
export type AdminScreen = 'recent-submissions' | 'feedback';

const PSEUDONYM_LENGTH = 8;

export function createPseudonymizer(secret: string, screen: AdminScreen): Pseudonymizer {
  return (userId) =>
    createHmac('sha256', secret).update(`admin-pseudonym:${screen}:${userId}`).digest('hex').slice(0, PSEUDONYM_LENGTH);
}
