/**
 * All SQL of `npm run import:original` on OUR side. Every insert skips rows that are already there
 * (`on conflict do nothing`), which is what makes a second run change nothing; each call is one statement
 * in the caller's transaction (one per batch).
 */
import type { Insertable, Kysely } from 'kysely';
import type {
  DB,
  FeedbackTable,
  FinalizedWeeksTable,
  ImportedPrivacyLedgerTable,
  ImportedStatisticsTable,
  SocialIdentitiesTable,
  UsersTable,
  WorkEventsTable,
} from '../schema.js';

/** Bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

function* chunks<T extends object>(rows: T[]): Generator<T[]> {
  if (rows.length === 0) return;
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(rows[0]!).length));
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

type Db = Kysely<DB>;
type ImportTable = 'work_events' | 'finalized_weeks' | 'feedback' | 'imported_privacy_ledger' | 'imported_statistics';

export class OriginalImportRepository {
  constructor(private readonly db: Db) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** Users here that no import made: a target holding any is not the import's to fill. */
  async foreignUserCount(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .leftJoin('imported_users', 'imported_users.user_id', 'users.id')
      .where('imported_users.user_id', 'is', null)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Imported users no longer here (erased after an earlier run): never imported again. */
  async erasedImportedUserIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('imported_users')
      .leftJoin('users', 'users.id', 'imported_users.user_id')
      .where('users.id', 'is', null)
      .select('imported_users.user_id')
      .execute();
    return rows.map((r) => r.user_id);
  }

  /** Imported users still here, by id, for a keyset scan. */
  async importedUserIds(after: string | null, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('imported_users').innerJoin('users', 'users.id', 'imported_users.user_id').select('imported_users.user_id');
    if (after !== null) query = query.where('imported_users.user_id', '>', after);
    return (await query.orderBy('imported_users.user_id').limit(limit).execute()).map((r) => r.user_id);
  }

  /** Which of `ids` were ever imported (present or erased since). */
  async everImported(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('imported_users').select('user_id').where('user_id', 'in', ids).execute();
    return new Set(rows.map((r) => r.user_id));
  }

  /** Which of `ids` are users here. */
  async presentUsers(ids: string[], db: Db = this.db): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db.selectFrom('users').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Which of `ids` are already rows of `table` (for --dry-run). */
  async presentIds(table: ImportTable, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom(table).select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Inserts the users that are not here yet, records them as imported and links their Apple/Google
   * identities. A user whose id or e-mail hash is already taken is skipped (not recorded): the ids inserted.
   */
  async insertUsers(
    trx: Db,
    users: Insertable<UsersTable>[],
    identities: Insertable<SocialIdentitiesTable>[],
    importedAt: string,
  ): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (const chunk of chunks(users)) {
      const rows = await trx.insertInto('users').values(chunk).onConflict((oc) => oc.doNothing()).returning('id').execute();
      for (const row of rows) inserted.add(row.id);
    }
    const imported = [...inserted].map((user_id) => ({ user_id, imported_at: importedAt }));
    for (const chunk of chunks(imported)) await trx.insertInto('imported_users').values(chunk).onConflict((oc) => oc.doNothing()).execute();
    const linked = identities.filter((identity) => inserted.has(identity.user_id));
    for (const chunk of chunks(linked)) await trx.insertInto('social_identities').values(chunk).onConflict((oc) => oc.doNothing()).execute();
    return inserted;
  }

  async insertWorkEvents(trx: Db, rows: Insertable<WorkEventsTable>[]): Promise<number> {
    let inserted = 0;
    for (const chunk of chunks(rows)) {
      const result = await trx.insertInto('work_events').values(chunk).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  async insertFinalizedWeeks(trx: Db, rows: Insertable<FinalizedWeeksTable>[]): Promise<number> {
    let inserted = 0;
    for (const chunk of chunks(rows)) {
      const result = await trx.insertInto('finalized_weeks').values(chunk).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  async insertPrivacyLedger(trx: Db, rows: Insertable<ImportedPrivacyLedgerTable>[]): Promise<number> {
    let inserted = 0;
    for (const chunk of chunks(rows)) {
      const result = await trx.insertInto('imported_privacy_ledger').values(chunk).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  async insertFeedback(trx: Db, rows: Insertable<FeedbackTable>[]): Promise<number> {
    let inserted = 0;
    for (const chunk of chunks(rows)) {
      const result = await trx.insertInto('feedback').values(chunk).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  async insertStatistics(trx: Db, rows: Insertable<ImportedStatisticsTable>[]): Promise<number> {
    let inserted = 0;
    for (const chunk of chunks(rows)) {
      const result = await trx.insertInto('imported_statistics').values(chunk).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  /** How many of `ids` are feedback reports here (imported feedback keeps the original's id). */
  async countFeedback(ids: string[]): Promise<number> {
    return (await this.presentIds('feedback', ids)).size;
  }

  /** The rows here that came from the original, per table (named as in the import's report). */
  async counts(): Promise<Record<string, number>> {
    const ofImportedUsers = async (table: 'work_events' | 'finalized_weeks' | 'social_identities' | 'users') => {
      const column = table === 'users' ? 'users.id' : `${table}.user_id`;
      const row = await this.db
        .selectFrom(table)
        .innerJoin('imported_users', 'imported_users.user_id', column as 'users.id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const all = async (table: 'imported_privacy_ledger' | 'imported_statistics') =>
      Number((await this.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return {
      users: await ofImportedUsers('users'),
      social_identities: await ofImportedUsers('social_identities'),
      work_events: await ofImportedUsers('work_events'),
      finalized_weeks: await ofImportedUsers('finalized_weeks'),
      imported_privacy_ledger: await all('imported_privacy_ledger'),
      imported_statistics: await all('imported_statistics'),
    };
  }
}
