/** The per-person privacy ledger: which published months counted a person, and the ε it spent (written by MonthlyAggregationRepository). */
import type { Kysely } from 'kysely';
import type { DB, ImportedPrivacyLedgerTable, PrivacyLedgerTable } from '../schema.js';

export class PrivacyLedgerRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async forUser(userId: string): Promise<PrivacyLedgerTable[]> {
    return this.db.selectFrom('privacy_ledger').selectAll().where('user_id', '=', userId).orderBy('period', 'desc').execute();
  }

  /**
   * The ε the original backend charged this person, per released weekly cell (carried by
   * `npm run import:original`): part of the person's spent budget, kept apart from ours (other cells, weekly).
   */
  async importedForUser(userId: string): Promise<Omit<ImportedPrivacyLedgerTable, 'id' | 'user_id'>[]> {
    return this.db
      .selectFrom('imported_privacy_ledger')
      .select(['period_start', 'cell_key', 'epsilon', 'recorded_at'])
      .where('user_id', '=', userId)
      .orderBy('period_start', 'desc')
      .orderBy('cell_key')
      .execute();
  }
}
