/** The per-person privacy ledger: which published months counted a person, and the ε it spent. */
import type { Kysely } from 'kysely';
import type { DB, PrivacyLedgerTable } from '../schema.js';
import { eligiblePeople, type AggregationWindow } from './statistics.js';

export class PrivacyLedgerRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * One row for every person counted in a cell published for `period` (set-based, in the same transaction and
   * snapshot as the cell totals). Returns the number of rows written.
   */
  async recordPublishedCells(period: string, window: AggregationWindow, epsilon: number, at: string): Promise<number> {
    const result = await this.db
      .insertInto('privacy_ledger')
      .columns(['user_id', 'period', 'state_code', 'specialty', 'epsilon', 'created_at'])
      .expression(
        eligiblePeople(this.db, window)
          .innerJoin('stats_by_state_specialty as s', (join) =>
            join.onRef('s.state_code', '=', 'u.state_code').onRef('s.specialty', '=', 'u.specialty').on('s.period', '=', period),
          )
          .select((eb) => [
            'u.id',
            eb.val(period).as('period'),
            's.state_code',
            's.specialty',
            eb.val(epsilon).as('epsilon'),
            eb.val(at).as('created_at'),
          ]),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async forUser(userId: string): Promise<PrivacyLedgerTable[]> {
    return this.db.selectFrom('privacy_ledger').selectAll().where('user_id', '=', userId).orderBy('period', 'desc').execute();
  }
}
