/**
 * All SQL of `npm run import:original` on OUR side. Every insert skips rows that are already there
 * (`on conflict do nothing`), which is what makes a second run change nothing.
 *
 * The big tables (weeks, days, ledger) are written in one statement per batch on PostgreSQL: one array
 * parameter per column, unnested server-side (`insert … select … from unnest($1::uuid[], …)`). That is one
 * round trip per batch whatever its size, with a fixed statement text (no parameter-count limit, no
 * 30,000-parameter chunks) and no parsing of a huge VALUES list: a single statement is atomic, so it is the
 * batch's transaction. SQLite (in process, no round trips) keeps multi-row VALUES in chunks.
 */
import { PostgresAdapter, sql, type Insertable, type Kysely } from 'kysely';
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
/** The tables of a user's own rows, written only for users that are here. */
export type UserRowsTable = 'work_events' | 'finalized_weeks' | 'imported_privacy_ledger';
export type UserRows = {
  work_events: Insertable<WorkEventsTable>;
  finalized_weeks: Insertable<FinalizedWeeksTable>;
  imported_privacy_ledger: Insertable<ImportedPrivacyLedgerTable>;
};

/** PostgreSQL type of every column written with unnest, in statement order (one array parameter each). */
const PG_COLUMNS: { [T in UserRowsTable]: Record<keyof UserRows[T] & string, string> } = {
  work_events: { id: 'uuid', user_id: 'uuid', date: 'date', planned_minutes: 'int4', actual_minutes: 'int4', created_at: 'timestamptz', updated_at: 'timestamptz' },
  finalized_weeks: {
    id: 'uuid',
    user_id: 'uuid',
    week_start: 'date',
    week_end: 'date',
    planned_centihours: 'int4',
    actual_centihours: 'int4',
    country_code: 'text',
    finalized_at: 'timestamptz',
    hospital_id: 'text',
    specialty: 'text',
    role_level: 'text',
    state_code: 'text',
    profession: 'text',
    seniority: 'text',
    department_group: 'text',
    specialization_code: 'text',
    hospital_ref_id: 'int4',
  },
  imported_privacy_ledger: { id: 'uuid', user_id: 'uuid', period_start: 'date', cell_key: 'text', epsilon: 'float8', recorded_at: 'timestamptz' },
};

export class OriginalImportRepository {
  readonly #postgres: boolean;

  constructor(private readonly db: Db) {
    this.#postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /**
   * Inserts the rows of `table` whose user is here (imported now or before, not erased since), skipping
   * those already present; returns how many were inserted. One statement on PostgreSQL, one transaction on
   * SQLite: either way the batch lands whole or not at all.
   */
  async insertUserRows<T extends UserRowsTable>(table: T, rows: UserRows[T][]): Promise<number> {
    if (rows.length === 0) return 0;
    if (this.#postgres) {
      const columns = Object.entries(PG_COLUMNS[table]) as [string, string][];
      const arrays = columns.map(([name, type]) => sql`${rows.map((row) => (row as Record<string, unknown>)[name] ?? null)}::${sql.raw(type)}[]`);
      const names = sql.raw(columns.map(([name]) => name).join(', '));
      const result = await sql`insert into ${sql.table(table)} (${names})
        select r.* from unnest(${sql.join(arrays)}) as r(${names})
        where exists (select 1 from users where users.id = r.user_id)
        on conflict do nothing`.execute(this.db);
      return Number(result.numAffectedRows ?? 0);
    }
    return this.transaction(async (trx) => {
      const present = await this.presentUsers([...new Set(rows.map((r) => r.user_id))], trx);
      let inserted = 0;
      for (const chunk of chunks(rows.filter((r) => present.has(r.user_id)))) {
        const result = await trx
          .insertInto(table)
          .values(chunk as never)
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      return inserted;
    });
  }

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
