/** The per-person privacy ledger: which published months counted a person, and the ε it spent (written by MonthlyAggregationRepository). */
import type { Kysely } from 'kysely';
import type { DB, PrivacyLedgerTable } from '../schema.js';

export class PrivacyLedgerRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async forUser(userId: string): Promise<PrivacyLedgerTable[]> {
    return this.db.selectFrom('privacy_ledger').selectAll().where('user_id', '=', userId).orderBy('period', 'desc').execute();
  }
}
