/**
 * All SQL against the ORIGINAL backend's database (read only), for `npm run import:original`. The schema is
 * the one of shared/contracts/original-backend-data.md at Alembic revision `l2m3n4o5p6q7`.
 *
 * Rows are read by keyset pagination on each table's primary key (`where key > $last order by key limit n`):
 * every batch is a short query on its own, so memory stays flat, nothing holds a snapshot or a lock on the
 * original while it still serves, and rows that arrive later are picked up by the next run.
 */
import pg from 'pg';
import { timestamptzToIso } from '../index.js';

export const ORIGINAL_REVISION = 'l2m3n4o5p6q7';

/**
 * The columns (name → `information_schema.columns.data_type`) of every table the import reads, exactly as
 * documented. Any difference (a missing, extra or retyped column) means another revision or a hand-made
 * schema, and the import refuses it.
 */
export const ORIGINAL_COLUMNS: Record<string, Record<string, string>> = {
  users: {
    user_id: 'uuid',
    email_hash: 'character varying',
    hospital_id: 'character varying',
    specialty: 'character varying',
    role_level: 'character varying',
    state_code: 'character varying',
    country_code: 'character varying',
    created_at: 'timestamp with time zone',
    updated_at: 'timestamp with time zone',
    last_submission_at: 'timestamp with time zone',
    terms_accepted_version: 'character varying',
    privacy_accepted_version: 'character varying',
    consent_accepted_at: 'timestamp with time zone',
    profession: 'character varying',
    seniority: 'character varying',
    department_group: 'character varying',
    specialization_code: 'character varying',
    hospital_ref_id: 'integer',
    auth_provider: 'character varying',
    provider_sub: 'character varying',
    is_demo: 'boolean',
  },
  work_events: {
    event_id: 'uuid',
    user_id: 'uuid',
    date: 'date',
    planned_hours: 'numeric',
    actual_hours: 'numeric',
    source: 'character varying',
    submitted_at: 'timestamp with time zone',
  },
  finalized_user_weeks: {
    finalized_week_id: 'uuid',
    user_id: 'uuid',
    week_start: 'date',
    week_end: 'date',
    planned_hours: 'numeric',
    actual_hours: 'numeric',
    hospital_id: 'character varying',
    specialty: 'character varying',
    role_level: 'character varying',
    state_code: 'character varying',
    country_code: 'character varying',
    profession: 'character varying',
    seniority: 'character varying',
    department_group: 'character varying',
    specialization_code: 'character varying',
    hospital_ref_id: 'integer',
    finalized_at: 'timestamp with time zone',
  },
  verification_requests: {
    id: 'uuid',
    email_hash: 'character varying',
    email_domain: 'character varying',
    code_hash: 'character varying',
    expires_at: 'timestamp with time zone',
    confirmed_at: 'timestamp with time zone',
    status: 'character varying',
    attempt_count: 'integer',
    created_at: 'timestamp with time zone',
  },
  feedback_reports: {
    report_id: 'uuid',
    user_id: 'character varying',
    hospital_id: 'character varying',
    specialty: 'character varying',
    role_level: 'character varying',
    state_code: 'character varying',
    description: 'text',
    app_state: 'json',
    created_at: 'timestamp with time zone',
    resolved: 'character varying',
  },
  stats_by_state_specialty: {
    stat_id: 'uuid',
    country_code: 'character varying',
    state_code: 'character varying',
    specialty: 'character varying',
    role_level: 'character varying',
    department_group: 'character varying',
    period_start: 'date',
    period_end: 'date',
    period_type: 'character varying',
    n_users: 'integer',
    avg_planned_hours_noised: 'numeric',
    avg_actual_hours_noised: 'numeric',
    avg_overtime_hours_noised: 'numeric',
    publication_status: 'character varying',
    planned_ci_half: 'numeric',
    actual_ci_half: 'numeric',
    overtime_ci_half: 'numeric',
    n_display: 'integer',
    k_min_threshold: 'integer',
    noise_epsilon: 'numeric',
    computed_at: 'timestamp with time zone',
  },
  user_privacy_ledger: {
    entry_id: 'uuid',
    user_id: 'uuid',
    period_start: 'date',
    family_key: 'character varying',
    cell_key: 'character varying',
    epsilon_spent: 'numeric',
    recorded_at: 'timestamp with time zone',
  },
};

/** Hours and ε arrive as the exact decimal strings PostgreSQL stores (`pg` returns numeric as text). */
export interface OriginalUser {
  user_id: string;
  email_hash: string | null;
  hospital_id: string;
  specialty: string;
  role_level: string;
  state_code: string | null;
  country_code: string;
  created_at: string;
  terms_accepted_version: string | null;
  privacy_accepted_version: string | null;
  consent_accepted_at: string | null;
  profession: string | null;
  seniority: string | null;
  department_group: string | null;
  specialization_code: string | null;
  hospital_ref_id: number | null;
  auth_provider: string | null;
  provider_sub: string | null;
  is_demo: boolean;
}

export interface OriginalWorkEvent {
  event_id: string;
  user_id: string;
  date: string;
  planned_hours: string;
  actual_hours: string;
  submitted_at: string;
}

export interface OriginalFinalizedWeek {
  finalized_week_id: string;
  user_id: string;
  week_start: string;
  week_end: string;
  planned_hours: string;
  actual_hours: string;
  hospital_id: string;
  specialty: string;
  role_level: string;
  state_code: string | null;
  country_code: string;
  profession: string | null;
  seniority: string | null;
  department_group: string | null;
  specialization_code: string | null;
  hospital_ref_id: number | null;
  finalized_at: string;
}

export interface OriginalFeedback {
  report_id: string;
  description: string | null;
  app_state: unknown;
  created_at: string;
}

export interface OriginalStatistic {
  stat_id: string;
  country_code: string;
  state_code: string;
  specialty: string;
  role_level: string;
  period_type: string;
  period_start: string;
  period_end: string;
  avg_planned_hours_noised: string | null;
  avg_overtime_hours_noised: string | null;
  planned_ci_half: string | null;
  actual_ci_half: string | null;
  overtime_ci_half: string | null;
  n_display: number | null;
  computed_at: string;
}

export interface OriginalLedgerEntry {
  entry_id: string;
  user_id: string;
  period_start: string;
  cell_key: string;
  epsilon_spent: string;
  recorded_at: string;
}

const PG_TIMESTAMPTZ = 1184;
const PG_DATE = 1082;
const PG_INT8 = 20;

/** Timestamps as ISO strings and dates as `YYYY-MM-DD`, as our own rows hold them; numerics stay exact text. */
function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === PG_TIMESTAMPTZ) return timestamptzToIso;
  if (oid === PG_DATE) return (value) => value;
  if (oid === PG_INT8) return (value) => Number(value);
  return pg.types.getTypeParser(oid, format as 'text');
}

/**
 * The published rule of the original's public API (contract §2, stats_by_state_specialty): a row was shown
 * as published iff it had enough users and its status was not one of the three unpublished ones (an
 * unknown status string counted as published).
 */
const PUBLISHED = `n_users >= k_min_threshold and publication_status not in ('warming_up', 'cooling_down', 'suppressed')`;
/** Feedback young enough to keep: `$1` is the cutoff instant. */
const FEEDBACK_KEPT = 'created_at >= $1';

export class OriginalSourceRepository {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: 10_000,
      // The original's "naive UTC" columns are right only in a UTC session (contract §2 conventions).
      options: '-c TimeZone=UTC -c default_transaction_read_only=on',
      types: { getTypeParser: typeParser } as pg.CustomTypesConfig,
    });
    this.#pool.on('error', () => {});
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.#pool.query(text, values)).rows as T[];
  }

  /** The Alembic revision(s) recorded, or null when there is no `alembic_version` table. */
  async revisions(): Promise<string[] | null> {
    const [table] = await this.#rows<{ exists: boolean }>(`select to_regclass('public.alembic_version') is not null as exists`);
    if (!table?.exists) return null;
    return (await this.#rows<{ version_num: string }>('select version_num from alembic_version')).map((r) => r.version_num);
  }

  /** Every column of the tables the import reads: table → column → data type. */
  async columns(): Promise<Map<string, Map<string, string>>> {
    const rows = await this.#rows<{ table_name: string; column_name: string; data_type: string }>(
      `select table_name, column_name, data_type from information_schema.columns
       where table_schema = 'public' and table_name = any($1)`,
      [Object.keys(ORIGINAL_COLUMNS)],
    );
    const tables = new Map<string, Map<string, string>>();
    for (const row of rows) {
      if (!tables.has(row.table_name)) tables.set(row.table_name, new Map());
      tables.get(row.table_name)!.set(row.column_name, row.data_type);
    }
    return tables;
  }

  /** Seconds between `created_at` and `expires_at` of first code requests (15 min when the clock was UTC). */
  async firstRequestCodeLifetimes(limit = 100): Promise<number[]> {
    const rows = await this.#rows<{ seconds: string }>(
      `select extract(epoch from expires_at - created_at) as seconds from verification_requests
       where attempt_count = 0 order by created_at desc limit $1`,
      [limit],
    );
    return rows.map((r) => Number(r.seconds));
  }

  /** The `code_hash` of the newest code requests: HMACs of 6 digits under the e-mail hash secret. */
  async recentCodeHashes(limit: number): Promise<string[]> {
    return (await this.#rows<{ code_hash: string }>('select code_hash from verification_requests order by created_at desc limit $1', [limit])).map(
      (r) => r.code_hash,
    );
  }

  /** The e-mail hash of the demo account, if the original has one. */
  async demoEmailHashes(): Promise<string[]> {
    return (await this.#rows<{ email_hash: string }>('select email_hash from users where is_demo and email_hash is not null')).map((r) => r.email_hash);
  }

  /** Which of `ids` are users of the original. */
  async existingUserIds(ids: string[]): Promise<Set<string>> {
    const rows = await this.#rows<{ user_id: string }>('select user_id from users where user_id = any($1::uuid[])', [ids]);
    return new Set(rows.map((r) => r.user_id));
  }

  users(after: string | null, limit: number): Promise<OriginalUser[]> {
    return this.#rows(
      `select user_id, email_hash, hospital_id, specialty, role_level, state_code, country_code, created_at,
              terms_accepted_version, privacy_accepted_version, consent_accepted_at, profession, seniority,
              department_group, specialization_code, hospital_ref_id, auth_provider, provider_sub, is_demo
       from users where ($1::uuid is null or user_id > $1::uuid) order by user_id limit $2`,
      [after, limit],
    );
  }

  workEvents(after: string | null, limit: number): Promise<OriginalWorkEvent[]> {
    return this.#rows(
      `select event_id, user_id, date, planned_hours, actual_hours, submitted_at
       from work_events where ($1::uuid is null or event_id > $1::uuid) order by event_id limit $2`,
      [after, limit],
    );
  }

  finalizedWeeks(after: string | null, limit: number): Promise<OriginalFinalizedWeek[]> {
    return this.#rows(
      `select finalized_week_id, user_id, week_start, week_end, planned_hours, actual_hours, hospital_id, specialty,
              role_level, state_code, country_code, profession, seniority, department_group, specialization_code,
              hospital_ref_id, finalized_at
       from finalized_user_weeks where ($1::uuid is null or finalized_week_id > $1::uuid) order by finalized_week_id limit $2`,
      [after, limit],
    );
  }

  privacyLedger(after: string | null, limit: number): Promise<OriginalLedgerEntry[]> {
    return this.#rows(
      `select entry_id, user_id, period_start, cell_key, epsilon_spent, recorded_at
       from user_privacy_ledger where ($1::uuid is null or entry_id > $1::uuid) order by entry_id limit $2`,
      [after, limit],
    );
  }

  feedback(after: string | null, limit: number, cutoff: string): Promise<OriginalFeedback[]> {
    return this.#rows(
      `select report_id, description, app_state, created_at from feedback_reports
       where ${FEEDBACK_KEPT.replace('$1', '$3')} and ($1::uuid is null or report_id > $1::uuid) order by report_id limit $2`,
      [after, limit, cutoff],
    );
  }

  publishedStatistics(after: string | null, limit: number): Promise<OriginalStatistic[]> {
    return this.#rows(
      `select stat_id, country_code, state_code, specialty, role_level, period_type, period_start, period_end,
              avg_planned_hours_noised, avg_overtime_hours_noised, planned_ci_half, actual_ci_half, overtime_ci_half,
              n_display, computed_at
       from stats_by_state_specialty where ${PUBLISHED} and ($1::uuid is null or stat_id > $1::uuid) order by stat_id limit $2`,
      [after, limit],
    );
  }

  /**
   * What the import must find on our side, per table: every row except those of users erased here after an
   * earlier import (`erasedHere`), and only kept feedback and published statistics.
   */
  async counts(erasedHere: string[], feedbackCutoff: string): Promise<Record<string, number>> {
    const notErased = (column: string) => `not (${column} = any($1::uuid[]))`;
    const [row] = await this.#rows<Record<string, number>>(
      `select
         (select count(*) from users where ${notErased('user_id')}) as users,
         (select count(*) from users where auth_provider is not null and ${notErased('user_id')}) as social_identities,
         (select count(*) from work_events where ${notErased('user_id')}) as work_events,
         (select count(*) from finalized_user_weeks where ${notErased('user_id')}) as finalized_weeks,
         (select count(*) from user_privacy_ledger where ${notErased('user_id')}) as imported_privacy_ledger,
         (select count(*) from feedback_reports where ${FEEDBACK_KEPT.replace('$1', '$2')}) as feedback,
         (select count(*) from stats_by_state_specialty where ${PUBLISHED}) as imported_statistics`,
      [erasedHere, feedbackCutoff],
    );
    return row!;
  }

  /** Rows the import leaves behind on purpose, per table, for the report. */
  async skippedCounts(feedbackCutoff: string): Promise<Record<string, number>> {
    const [row] = await this.#rows<Record<string, number>>(
      `select
         (select count(*) from verification_requests) as verification_requests,
         (select count(*) from feedback_reports where not (${FEEDBACK_KEPT})) as feedback_reports_expired,
         (select count(*) from stats_by_state_specialty where not (${PUBLISHED})) as statistics_unpublished,
         (select count(*) from state_specialty_privacy_ledger) as state_specialty_privacy_ledger,
         (select count(*) from state_specialty_release_cells) as state_specialty_release_cells,
         (select count(*) from institution_inquiries) as institution_inquiries,
         (select count(*) from reports) as reports,
         (select count(*) from weekly_submissions) as weekly_submissions,
         (select count(*) from stats_by_hospital) as stats_by_hospital`,
      [feedbackCutoff],
    );
    return row!;
  }
}
