import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, WorkEvent } from '../schema.js';

export interface NewWorkEvent {
  user_id: string;
  date: string;
  planned_minutes: number;
  actual_minutes: number;
}

export interface WorkEventQuery {
  startDate?: string;
  endDate?: string;
  limit: number;
  offset: number;
}

export type MinuteChanges = Partial<Pick<WorkEvent, 'planned_minutes' | 'actual_minutes'>>;

/** Every query names the owner: a user can never read or change another user's event, even by its id. */
export class WorkEventRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Inserts the event unless the user already has one for that date, and returns the stored row either way.
   * The unique (user_id, date) constraint decides, not a prior read, so simultaneous submissions of one day
   * produce exactly one row and exactly one `created: true`.
   */
  async insertOrFind(event: NewWorkEvent, now: Date): Promise<{ event: WorkEvent; created: boolean }> {
    const at = now.toISOString();
    // The existing row can vanish between the two statements (deleted meanwhile): then insert again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.db
        .insertInto('work_events')
        .values({ id: randomUUID(), ...event, created_at: at, updated_at: at })
        .onConflict((oc) => oc.columns(['user_id', 'date']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { event: inserted, created: true };
      const existing = await this.db
        .selectFrom('work_events')
        .selectAll()
        .where('user_id', '=', event.user_id)
        .where('date', '=', event.date)
        .executeTakeFirst();
      if (existing) return { event: existing, created: false };
    }
    throw new Error('work event for this date keeps disappearing between insert and read');
  }

  /** The user's events, newest date first, within an inclusive date range. */
  async list(userId: string, query: WorkEventQuery): Promise<Omit<WorkEvent, 'user_id'>[]> {
    let select = this.db
      .selectFrom('work_events')
      .select(['id', 'date', 'planned_minutes', 'actual_minutes', 'created_at', 'updated_at'])
      .where('user_id', '=', userId);
    if (query.startDate) select = select.where('date', '>=', query.startDate);
    if (query.endDate) select = select.where('date', '<=', query.endDate);
    return select.orderBy('date', 'desc').limit(query.limit).offset(query.offset).execute();
  }

  /** How many of the user's events lie in the query's date range (limit and offset aside). */
  async count(userId: string, query: Pick<WorkEventQuery, 'startDate' | 'endDate'>): Promise<number> {
    let select = this.db
      .selectFrom('work_events')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('user_id', '=', userId);
    if (query.startDate) select = select.where('date', '>=', query.startDate);
    if (query.endDate) select = select.where('date', '<=', query.endDate);
    return Number((await select.executeTakeFirstOrThrow()).n);
  }

  /** The user's own event; undefined when the user has no event with that id. */
  async find(userId: string, id: string): Promise<WorkEvent | undefined> {
    return this.db.selectFrom('work_events').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  }

  /** Changes minutes of the user's own event; undefined when the user has no event with that id. */
  async update(userId: string, id: string, changes: MinuteChanges, now: Date): Promise<WorkEvent | undefined> {
    return this.db
      .updateTable('work_events')
      .set({ ...changes, updated_at: now.toISOString() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes the user's own event; false when the user has no event with that id. */
  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('work_events').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
