import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { addDays } from '../../services/periods.js';
import type { DB, FinalizedWeek, FinalizedWeeksTable } from '../schema.js';

export type NewFinalizedWeek = Omit<Insertable<FinalizedWeeksTable>, 'id'>;

/** Every query names the owner: a user never reads another user's weeks. */
export class FinalizedWeekRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Stores the week unless the user already finalized that week_start; undefined when they had. The unique
   * (user_id, week_start) constraint decides, not a prior read, so of simultaneous sends of one week exactly
   * one is stored, and the first values stay.
   */
  async insertIfNew(week: NewFinalizedWeek): Promise<FinalizedWeek | undefined> {
    return this.db
      .insertInto('finalized_weeks')
      .values({ id: randomUUID(), ...week })
      .onConflict((oc) => oc.columns(['user_id', 'week_start']).doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** The user's weeks, newest first; all of them without `page`. */
  async list(userId: string, page?: { limit: number; offset: number }): Promise<FinalizedWeek[]> {
    let select = this.db.selectFrom('finalized_weeks').selectAll().where('user_id', '=', userId).orderBy('week_start', 'desc');
    if (page) select = select.limit(page.limit).offset(page.offset);
    return select.execute();
  }

  /** The user's finalized week that contains `date`, if any. */
  async containing(userId: string, date: string): Promise<FinalizedWeek | undefined> {
    return this.db
      .selectFrom('finalized_weeks')
      .selectAll()
      .where('user_id', '=', userId)
      // Weeks are seven days: only a week_start in the six days before `date` can contain it (an index range).
      .where('week_start', '>=', addDays(date, -6))
      .where('week_start', '<=', date)
      .where('week_end', '>=', date)
      .executeTakeFirst();
  }
}
