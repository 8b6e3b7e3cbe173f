import type { Insertable, Kysely, Selectable } from 'kysely';
import type { DB, FeedbackStatus, FeedbackTable } from '../schema.js';

export interface FeedbackRow extends Omit<Selectable<FeedbackTable>, 'app_state'> {
  app_state: Record<string, unknown> | null;
}

/** A report to store: every column but the ones the repository sets itself (status, updated_at). */
export type NewFeedback = Omit<Insertable<FeedbackTable>, 'status' | 'updated_at'>;

/** PostgreSQL's jsonb arrives parsed; SQLite's text arrives as the JSON we wrote. */
function parseAppState(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

function toRow(row: Selectable<FeedbackTable>): FeedbackRow {
  return { ...row, app_state: parseAppState(row.app_state) };
}

export class FeedbackRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(feedback: NewFeedback): Promise<void> {
    await this.db
      .insertInto('feedback')
      .values({ ...feedback, status: 'new', updated_at: feedback.created_at })
      .execute();
  }

  async findById(id: string): Promise<FeedbackRow | null> {
    const row = await this.db.selectFrom('feedback').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRow(row) : null;
  }

  /** Newest first, optionally only one status. */
  async list(options: { status?: FeedbackStatus; limit: number; offset: number }): Promise<FeedbackRow[]> {
    let query = this.db.selectFrom('feedback').selectAll();
    if (options.status) query = query.where('status', '=', options.status);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit)
      .offset(options.offset)
      .execute();
    return rows.map(toRow);
  }

  async countByStatus(): Promise<Record<FeedbackStatus, number>> {
    const rows = await this.db
      .selectFrom('feedback')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    const counts: Record<FeedbackStatus, number> = { new: 0, resolved: 0, dismissed: 0 };
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }

  /** The reports linked to one user, for their data export. */
  async listForUser(userId: string): Promise<FeedbackRow[]> {
    const rows = await this.db
      .selectFrom('feedback')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toRow);
  }

  /** Returns the updated report, or null when no report has this id. */
  async updateStatus(id: string, status: FeedbackStatus, at: string): Promise<FeedbackRow | null> {
    const row = await this.db
      .updateTable('feedback')
      .set({ status, updated_at: at })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ? toRow(row) : null;
  }

  async deleteCreatedBefore(before: string): Promise<number> {
    const result = await this.db.deleteFrom('feedback').where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
