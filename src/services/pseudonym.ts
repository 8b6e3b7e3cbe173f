/**
 * Short pseudonymous user ids for operator screens: enough to see that two rows belong to the same person,
 * useless for finding out who it is. A keyed HMAC (not a plain hash) so that nobody can compute the
 * pseudonym of a known user id without the server's secret; never the e-mail hash, which is a stable
 * identifier used for login.
 */
import { createHmac } from 'node:crypto';

export type Pseudonymizer = (userId: string) => string;

const PSEUDONYM_LENGTH = 8;

export function createPseudonymizer(secret: string): Pseudonymizer {
  return (userId) =>
    createHmac('sha256', secret).update(`admin-pseudonym:${userId}`).digest('hex').slice(0, PSEUDONYM_LENGTH);
}
