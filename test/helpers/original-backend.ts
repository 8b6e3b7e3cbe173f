/**
 * A database with the ORIGINAL backend's schema at Alembic revision `l2m3n4o5p6q7`, written from
 * shared/contracts/original-backend-data.md §2 (not from our importer's column list, so that the import's
 * schema check is tested against the contract), and rows made with the contract's formulas (§3 hashes).
 * Used by test/services/import-original.test.ts and bench/import-original.ts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminQuery } from './database.js';

export const ORIGINAL_SCHEMA = `
create table alembic_version (version_num varchar(32) primary key);
insert into alembic_version values ('l2m3n4o5p6q7');
create table users (
  user_id uuid primary key,
  email_hash varchar(64),
  hospital_id varchar(255) not null,
  specialty varchar(100) not null,
  role_level varchar(50) not null,
  state_code varchar(10),
  country_code varchar(3) not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  last_submission_at timestamptz,
  terms_accepted_version varchar(20),
  privacy_accepted_version varchar(20),
  consent_accepted_at timestamptz,
  profession varchar(20),
  seniority varchar(30),
  department_group varchar(50),
  specialization_code varchar(10),
  hospital_ref_id integer,
  auth_provider varchar(20),
  provider_sub varchar(255),
  is_demo boolean not null default false,
  constraint uq_user_auth_provider_sub unique (auth_provider, provider_sub)
);
create unique index ix_users_email_hash on users (email_hash);
create table work_events (
  event_id uuid primary key,
  user_id uuid not null references users (user_id) on delete cascade,
  date date not null,
  planned_hours numeric(5,2) not null,
  actual_hours numeric(5,2) not null,
  source varchar(20) not null,
  submitted_at timestamptz not null,
  constraint uq_work_event_user_date unique (user_id, date)
);
create table finalized_user_weeks (
  finalized_week_id uuid primary key,
  user_id uuid not null references users (user_id) on delete cascade,
  week_start date not null,
  week_end date not null,
  planned_hours numeric(6,2) not null,
  actual_hours numeric(6,2) not null,
  hospital_id varchar(255) not null,
  specialty varchar(100) not null,
  role_level varchar(50) not null,
  state_code varchar(10),
  country_code varchar(3) not null,
  profession varchar(20),
  seniority varchar(30),
  department_group varchar(50),
  specialization_code varchar(10),
  hospital_ref_id integer,
  finalized_at timestamptz not null,
  constraint uq_finalized_user_week_user_start unique (user_id, week_start)
);
create table verification_requests (
  id uuid primary key,
  email_hash varchar(128) not null constraint uq_verification_email_hash unique,
  email_domain varchar(255) not null,
  code_hash varchar(128) not null,
  expires_at timestamptz not null,
  confirmed_at timestamptz,
  status varchar(32) not null,
  attempt_count integer not null,
  created_at timestamptz not null
);
create table feedback_reports (
  report_id uuid primary key,
  user_id varchar(255),
  hospital_id varchar(255),
  specialty varchar(100),
  role_level varchar(50),
  state_code varchar(10),
  description text,
  app_state json not null,
  created_at timestamptz not null,
  resolved varchar(20) not null
);
create table institution_inquiries (
  inquiry_id uuid primary key, name varchar(255) not null, organization varchar(255) not null, role varchar(100) not null,
  email varchar(255) not null, message text not null, created_at timestamptz not null, responded_at timestamptz,
  notes text, status varchar(20) not null
);
create table reports (
  id uuid primary key, hospital_domain varchar(255) not null, staff_group varchar(32) not null, shift_date date not null,
  actual_hours_worked numeric(5,2) not null, overtime_hours numeric(5,2) not null, notes text, created_at timestamptz not null
);
create table weekly_submissions (
  id uuid primary key, week_start date not null, week_end date not null, planned_hours numeric(6,2) not null,
  actual_hours numeric(6,2) not null, client_version varchar(64) not null, created_at timestamptz not null
);
create table stats_by_hospital (
  stat_id uuid primary key, hospital_id varchar(255) not null, period_start date not null, period_end date not null,
  n_users int not null, avg_planned_hours_noised numeric(5,2), avg_actual_hours_noised numeric(5,2),
  avg_overtime_hours_noised numeric(5,2), publication_status varchar(20) not null default 'published',
  k_min_threshold int not null, noise_epsilon numeric(4,2) not null, computed_at timestamptz not null
);
create table stats_by_state_specialty (
  stat_id uuid primary key,
  country_code varchar(3) not null, state_code varchar(10) not null, specialty varchar(100) not null,
  role_level varchar(50) not null, department_group varchar(50),
  period_start date not null, period_end date not null, period_type varchar(10) not null default 'weekly',
  n_users int not null,
  avg_planned_hours_noised numeric(5,2), avg_actual_hours_noised numeric(5,2), avg_overtime_hours_noised numeric(5,2),
  publication_status varchar(20) not null default 'published',
  planned_ci_half numeric(6,2), actual_ci_half numeric(6,2), overtime_ci_half numeric(6,2), n_display int,
  k_min_threshold int not null, noise_epsilon numeric(4,2) not null, computed_at timestamptz not null,
  constraint uq_stats_state_spec_period unique (country_code, state_code, specialty, role_level, period_start)
);
create table state_specialty_release_cells (
  cell_id uuid primary key, country_code varchar(3) not null, state_code varchar(10) not null, specialty varchar(100) not null,
  is_enabled boolean not null default true, created_at timestamptz not null
);
create table state_specialty_privacy_ledger (
  entry_id uuid primary key, country_code varchar(3) not null, state_code varchar(10) not null, specialty varchar(100) not null,
  period_start date not null, period_type varchar(10) not null default 'weekly', mechanism varchar(50) not null default 'laplace',
  publication_status varchar(20) not null default 'published', planned_sum_epsilon numeric(6,3) not null,
  actual_sum_epsilon numeric(6,3) not null, total_epsilon numeric(6,3) not null, recorded_at timestamptz not null
);
create table user_privacy_ledger (
  entry_id uuid primary key,
  user_id uuid not null references users (user_id) on delete cascade,
  period_start date not null,
  family_key varchar(50) not null default 'state_specialty_v1',
  cell_key varchar(255) not null,
  epsilon_spent numeric(6,3) not null,
  recorded_at timestamptz not null,
  constraint uq_user_privacy_ledger unique (user_id, period_start, family_key, cell_key)
);
`;

/** The original's `hash_email` / `hash_code` (contract §3): base64url HMAC-SHA256 under EMAIL_HASH_SECRET. */
export const originalHash = (secret: string, value: string) => createHmac('sha256', secret).update(value).digest('base64url');

export interface OriginalDatabase {
  url: string;
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/** A fresh database on the server `serverUrl` names, with the original's schema. */
export async function createOriginalDatabase(serverUrl: string): Promise<OriginalDatabase> {
  const name = `owh_original_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => {});
  await pool.query(ORIGINAL_SCHEMA);
  return {
    url: url.toString(),
    query: (text, values) => pool.query(text, values as unknown[]),
    async drop() {
      await pool.end();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Whether a PostgreSQL server answers at `url` (for the source when TEST_DATABASE_URL is unset). */
export async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
