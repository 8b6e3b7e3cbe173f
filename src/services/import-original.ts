/**
 * Moving from the original backend (docs/migrating.md): copies its database into ours, so that every
 * account, week and published figure carries over and the same address signs in to the same account.
 *
 * Refuses, before writing anything: a source that is not the documented schema (Alembic revision
 * `l2m3n4o5p6q7` and exactly its columns), a source whose "naive UTC" timestamps were written under another
 * time zone, an `EMAIL_HASH_SECRET` that is not the original's (checked against its stored code hashes or
 * its demo account; with neither, only with --email-hash-secret-confirmed), and a target holding accounts
 * the import did not make.
 *
 * Safe to repeat and to run while the original still serves: rows are read in keyset batches, each batch is
 * written in one transaction, every insert skips what is already here, and a user erased here is never
 * imported again. A user deleted in the original since an earlier run is erased here too. Rows already
 * imported are not updated: the last run belongs after the original stops taking writes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { OriginalImportRepository, UserRows, UserRowsTable } from '../db/repositories/original-import.js';
import {
  ORIGINAL_COLUMNS,
  ORIGINAL_REVISION,
  type OriginalFeedback,
  type OriginalFinalizedWeek,
  type OriginalSourceRepository,
  type OriginalStatistic,
  type OriginalUser,
} from '../db/repositories/original-source.js';
import type { PersonalDataRepository } from '../db/repositories/personal-data.js';
import type { UserRepository } from '../db/repositories/users.js';
import type { FeedbackTable, FinalizedWeeksTable, SocialIdentitiesTable, UsersTable } from '../db/schema.js';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import { storedFeedback, type FeedbackInput } from './feedback.js';
import { DAYS } from './rate-limiter.js';
import { socialEmailHash } from './social-auth.js';
import { COUNTRY_CODE, isStateCode } from './taxonomy.js';
import { isSocialProvider } from './tokens.js';

/** The `method` label of each series of the original's published statistics (imported_statistics). */
export const ORIGINAL_STATISTICS_METHODS = {
  /** Rows with role_level `all` (from 2026-03-20): weekly cells, k = 5 (11 at first), Laplace, adaptive ε ≤ 1. */
  weekly: 'original-weekly-laplace-v1',
  /** Rows with a real role level (until 2026-03-20): grouped by current profile, k 10/11, faulty noise. */
  legacy: 'original-legacy-v0',
} as const;

/** A refusal: one line for the operator, nothing written. */
export class ImportRefused extends Error {}

export interface ImportOptions {
  dryRun?: boolean;
  /** The operator vouches for EMAIL_HASH_SECRET when the original holds nothing to check it against. */
  emailHashSecretConfirmed?: boolean;
  batchSize?: number;
  /** Called with a progress line every few seconds of a long run. */
  onProgress?: (line: string) => void;
  /** Milliseconds between progress lines (default 5 s). */
  progressIntervalMs?: number;
}

export interface TableCount {
  table: string;
  /** Rows the original holds that must be here (erased-here users' rows and skipped rows excluded). */
  source: number;
  /** The original's rows found here after the run (or that would be, in a dry run). */
  target: number;
  /** Inserted by this run (would be, in a dry run). */
  imported: number;
  /** Left out on purpose by this run, e.g. a user without any sign-in method. */
  skipped: number;
}

export interface ImportReport {
  dryRun: boolean;
  secretCheck: string;
  erasedSinceLastRun: number;
  tables: TableCount[];
  /** What was not carried and why. */
  notCarried: { what: string; rows: number; why: string }[];
  /** Rows changed on the way, and why. */
  notes: string[];
  mismatches: string[];
}

export interface ImportDeps {
  config: Config;
  clock: Clock;
  source: OriginalSourceRepository;
  target: OriginalImportRepository;
  users: UserRepository;
  personalData: PersonalDataRepository;
}

const DEFAULT_BATCH_SIZE = 5000;
/**
 * Weeks, days and ledger entries: 50 per user and most of the rows. Larger batches mean fewer round trips;
 * 20,000 rows (two batches in memory, one read ahead) stay in the tens of MB.
 */
const DEFAULT_BIG_BATCH_SIZE = 20_000;
/**
 * Batches written at once. The target's inserts (index upkeep, foreign-key checks) are the slow side of the
 * import: two writers keep two server processes busy instead of one (and the second overlaps the first's commit).
 * Two, not more: a batch is already 20,000 rows, and the target's server may be serving the new service too.
 */
const WRITERS = 2;
/** `expires_at − created_at` of a first code request: 15 minutes, give or take the server's own work. */
const CODE_LIFETIME_S = 15 * 60;
const CODE_LIFETIME_TOLERANCE_S = 60;
const ORIGINAL_EMAIL_HASH = /^[A-Za-z0-9_-]{43}$/;

/**
 * The original's e-mail hash (base64url of HMAC-SHA256) as ours (hex of the same HMAC). Both services hash
 * the same normalized address with the same key, so the bytes are the same: only the spelling changes.
 */
export function reencodeEmailHash(original: string): string {
  return Buffer.from(original, 'base64url').toString('hex');
}

/** The original's HMAC of a string under EMAIL_HASH_SECRET (its `hash_email` / `hash_code`). */
export function originalHmac(secret: string, value: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

/** `"40.56"` → 4056: hours with at most two decimals as exact hundredths (never through a float). */
export function centihours(hours: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(hours.trim());
  if (!match) throw new Error(`not an hours value: ${hours}`);
  const value = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -value : value;
}

/** Hours with two decimals as whole minutes: ×0.6 of the hundredths, rounded (never a tie: k/5). */
export function minutesOf(hours: string): number {
  return Math.round((centihours(hours) * 3) / 5);
}

const numberOrNull = (value: string | null) => (value === null ? null : Number(value));

export class OriginalImportService {
  constructor(private readonly deps: ImportDeps) {}

  async run(options: ImportOptions = {}): Promise<ImportReport> {
    const { source, target, clock, config } = this.deps;
    await this.#checkSchema();
    await this.#checkTimeZone();
    const secretCheck = await this.#checkSecret(options.emailHashSecretConfirmed === true);
    const foreign = await target.foreignUserCount();
    if (foreign > 0) {
      throw new ImportRefused(
        `The target database already holds ${foreign} account(s) that were not imported from the original: import into a fresh database (created with \`npm run migrate\`, before the service first starts).`,
      );
    }

    const run = new Run(options, clock);
    const importedAt = clock.now().toISOString();
    const feedbackCutoff = new Date(clock.now().getTime() - config.feedbackRetentionDays * DAYS).toISOString();
    const erasedSinceLastRun = await this.#eraseDeletedUsers(run);

    await this.#importUsers(run, importedAt);
    await this.#importChildren(run, 'finalized_weeks', (after, n) => source.finalizedWeeks(after, n), (r) => r.finalized_week_id, (r) => this.#week(run, r));
    await this.#importChildren(
      run,
      'work_events',
      (after, n) => source.workEvents(after, n),
      (r) => r.event_id,
      (r) => ({
        id: r.event_id,
        user_id: r.user_id,
        date: r.date,
        planned_minutes: minutesOf(r.planned_hours),
        actual_minutes: minutesOf(r.actual_hours),
        created_at: r.submitted_at,
        updated_at: r.submitted_at,
      }),
    );
    await this.#importChildren(
      run,
      'imported_privacy_ledger',
      (after, n) => source.privacyLedger(after, n),
      (r) => r.entry_id,
      (r) => ({ id: r.entry_id, user_id: r.user_id, period_start: r.period_start, cell_key: r.cell_key, epsilon: Number(r.epsilon_spent), recorded_at: r.recorded_at }),
    );
    const feedbackIds = await this.#importFeedback(run, feedbackCutoff);
    await this.#importStatistics(run, importedAt);

    // Both sides, table by table.
    const erasedHere = await target.erasedImportedUserIds();
    const sourceCounts = await source.counts(erasedHere, feedbackCutoff);
    const targetCounts = { ...(await target.counts()), feedback: await target.countFeedback(feedbackIds) };
    const tables: TableCount[] = [];
    const mismatches: string[] = [];
    for (const table of ['users', 'social_identities', 'finalized_weeks', 'work_events', 'imported_privacy_ledger', 'feedback', 'imported_statistics']) {
      const skipped = run.skipped.get(table) ?? 0;
      const imported = run.imported.get(table) ?? 0;
      const expected = Number(sourceCounts[table]) - skipped;
      const found = targetCounts[table as keyof typeof targetCounts] + (run.dryRun ? imported : 0);
      tables.push({ table, source: expected, target: found, imported, skipped });
      if (found !== expected) mismatches.push(`${table}: ${expected} in the original, ${found} here`);
    }
    const skippedCounts = await source.skippedCounts(feedbackCutoff);
    return {
      dryRun: run.dryRun,
      secretCheck,
      erasedSinceLastRun,
      tables,
      notCarried: [
        { what: 'verification_requests', rows: skippedCounts.verification_requests!, why: 'login codes: ephemeral, and hashed differently here; a user mid-sign-in asks for a new code' },
        { what: 'feedback_reports older than FEEDBACK_RETENTION_DAYS', rows: skippedCounts.feedback_reports_expired!, why: 'past retention: would be deleted here at once' },
        { what: 'stats_by_state_specialty not published', rows: skippedCounts.statistics_unpublished!, why: 'warming_up, cooling_down and suppressed rows (and those under k) were never shown; n_users and noised actual means stay confidential' },
        { what: 'state_specialty_privacy_ledger', rows: skippedCounts.state_specialty_privacy_ledger!, why: "anonymous per-cell budget of the original's weekly method, which does not continue here; each person's spent ε is carried in imported_privacy_ledger" },
        { what: 'state_specialty_release_cells', rows: skippedCounts.state_specialty_release_cells!, why: "configuration of the original's weekly method" },
        { what: 'institution_inquiries', rows: skippedCounts.institution_inquiries!, why: 'plain-text names and e-mail addresses with no retention rule: answer or archive them from the original, not here' },
        { what: 'reports, weekly_submissions', rows: skippedCounts.reports! + skippedCounts.weekly_submissions!, why: 'legacy v0 endpoints, unauthenticated and junk-prone: archive only' },
        { what: 'stats_by_hospital', rows: skippedCounts.stats_by_hospital!, why: 'legacy table that no code ever wrote' },
        { what: 'rate limits', rows: 0, why: "held in the original's process memory only" },
      ],
      notes: run.notes(),
      mismatches,
    };
  }

  async #checkSchema(): Promise<void> {
    const { source } = this.deps;
    const revisions = await source.revisions();
    if (revisions !== null && (revisions.length !== 1 || revisions[0] !== ORIGINAL_REVISION)) {
      throw new ImportRefused(
        `The original database is at Alembic revision ${revisions.length ? revisions.join(', ') : '(none recorded)'}; this import reads revision ${ORIGINAL_REVISION} only: run \`alembic upgrade head\` on the original first.`,
      );
    }
    const found = await source.columns();
    const problems: string[] = [];
    for (const [table, columns] of Object.entries(ORIGINAL_COLUMNS)) {
      const actual = found.get(table);
      if (!actual) {
        problems.push(`table ${table} is missing`);
        continue;
      }
      for (const [column, type] of Object.entries(columns)) {
        const actualType = actual.get(column);
        if (actualType === undefined) problems.push(`${table}.${column} is missing`);
        else if (actualType !== type) problems.push(`${table}.${column} is ${actualType}, expected ${type}`);
      }
      for (const column of actual.keys()) if (!(column in columns)) problems.push(`${table}.${column} is not expected`);
    }
    if (problems.length > 0) {
      throw new ImportRefused(`The original database does not have the columns of revision ${ORIGINAL_REVISION}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}.`);
    }
  }

  /** Contract §6.2: the "naive UTC" columns are right only if the original's session time zone was UTC. */
  async #checkTimeZone(): Promise<void> {
    const lifetimes = await this.deps.source.firstRequestCodeLifetimes();
    const off = lifetimes.find((s) => Math.abs(s - CODE_LIFETIME_S) > CODE_LIFETIME_TOLERANCE_S);
    if (off !== undefined) {
      throw new ImportRefused(
        `The original's timestamps were not written in UTC (a code's lifetime reads ${Math.round((off - CODE_LIFETIME_S) / 360) / 10} h off its 15 minutes): its naive UTC columns need shifting first; see docs/migrating.md.`,
      );
    }
  }

  /**
   * EMAIL_HASH_SECRET must be the original's, or no e-mail user could ever sign in again. Checked against
   * the original's demo account (when DEMO__EMAIL is set), else against a stored code hash: every code is
   * 6 digits, so one of the million candidates reproduces it under the right key, and none under a wrong one.
   */
  async #checkSecret(confirmed: boolean): Promise<string> {
    const { config, source } = this.deps;
    const secret = config.emailHashSecret;
    if (secret.length < 32) throw new ImportRefused(`EMAIL_HASH_SECRET has ${secret.length} characters; the original's has at least 32: set it to the original's EMAIL_HASH_SECRET.`);
    if (config.demo) {
      const demoHashes = await source.demoEmailHashes();
      if (demoHashes.includes(originalHmac(secret, config.demo.email))) return "matches the hash of the original's demo account (DEMO__EMAIL)";
    }
    const [codeHash] = await source.recentCodeHashes(1);
    if (codeHash !== undefined) {
      const wanted = Buffer.from(codeHash);
      for (let code = 0; code < 1_000_000; code++) {
        const candidate = Buffer.from(originalHmac(secret, code.toString().padStart(6, '0')));
        if (candidate.length === wanted.length && timingSafeEqual(candidate, wanted)) return "reproduces the original's newest stored code hash";
      }
      throw new ImportRefused("EMAIL_HASH_SECRET is not the original's: it reproduces none of its stored code hashes. Set it to the original's EMAIL_HASH_SECRET.");
    }
    if (!confirmed) {
      throw new ImportRefused(
        'EMAIL_HASH_SECRET cannot be checked: the original holds no code hash and no demo account matching DEMO__EMAIL. Make sure it is the original\'s and pass --email-hash-secret-confirmed.',
      );
    }
    return 'not checkable; confirmed by the operator (--email-hash-secret-confirmed)';
  }

  /** Users imported earlier and deleted in the original since: their erasure follows them here. */
  async #eraseDeletedUsers(run: Run): Promise<number> {
    const { source, target, users, personalData } = this.deps;
    let erased = 0;
    let after: string | null = null;
    for (;;) {
      const ids = await target.importedUserIds(after, run.batchSize);
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      const alive = await source.existingUserIds(ids);
      for (const id of ids) {
        if (alive.has(id)) continue;
        const user = await users.findById(id);
        if (user && (run.dryRun || (await personalData.erase(user)))) erased++;
      }
    }
    return erased;
  }

  async #importUsers(run: Run, importedAt: string): Promise<void> {
    const { source, target } = this.deps;
    await run.batches('users', (after, n) => source.users(after, n), (r) => r.user_id, async (batch) => {
      const users: Insertable<UsersTable>[] = [];
      const identities: Insertable<SocialIdentitiesTable>[] = [];
      for (const row of batch) {
        const mapped = this.#user(run, row);
        if (!mapped) continue;
        users.push(mapped.user);
        if (mapped.identity) identities.push(mapped.identity);
      }
      const ids = users.map((u) => u.id);
      if (run.dryRun) {
        const known = new Set([...(await target.everImported(ids)), ...(await target.presentUsers(ids))]);
        const fresh = users.filter((u) => !known.has(u.id));
        for (const user of fresh) run.wouldBeUsers.add(user.id);
        run.count('users', fresh.length);
        run.count('social_identities', identities.filter((i) => !known.has(i.user_id)).length);
        return;
      }
      // Users erased here after an earlier run stay erased.
      const erased = await target.everImported(ids);
      const fresh = users.filter((u) => !erased.has(u.id));
      const inserted = await target.transaction((trx) => target.insertUsers(trx, fresh, identities, importedAt));
      run.count('users', inserted.size);
      run.count('social_identities', identities.filter((i) => inserted.has(i.user_id)).length);
      const taken = fresh.filter((u) => !inserted.has(u.id)).length;
      if (taken > 0) run.note(`${taken} user(s) not imported: their id or e-mail address already has another account here`);
    });
  }

  #user(run: Run, row: OriginalUser): { user: Insertable<UsersTable>; identity: Insertable<SocialIdentitiesTable> | null } | null {
    const secret = this.deps.config.emailHashSecret;
    let identity: Insertable<SocialIdentitiesTable> | null = null;
    if (row.auth_provider !== null) {
      if (!isSocialProvider(row.auth_provider) || !row.provider_sub) {
        run.skipUser(row.user_id, 'users', `user(s) skipped: unknown sign-in provider or empty provider subject`);
        return null;
      }
      identity = { provider: row.auth_provider, subject: row.provider_sub, user_id: row.user_id, created_at: row.created_at };
    }
    let emailHash: string;
    if (row.email_hash !== null && ORIGINAL_EMAIL_HASH.test(row.email_hash)) emailHash = reencodeEmailHash(row.email_hash);
    else if (identity) emailHash = socialEmailHash(secret, { provider: identity.provider, subject: identity.subject });
    else {
      run.skipUser(row.user_id, 'users', 'user(s) skipped: no e-mail hash of the documented form and no Apple/Google identity, so no way to sign in');
      return null;
    }
    return {
      user: {
        id: row.user_id,
        email_hash: emailHash,
        country_code: row.country_code || COUNTRY_CODE,
        created_at: row.created_at,
        terms_accepted_version: row.terms_accepted_version,
        privacy_accepted_version: row.privacy_accepted_version,
        consent_accepted_at: row.consent_accepted_at,
        is_demo: row.is_demo,
        ...this.#profile(run, row),
      },
      identity,
    };
  }

  /** The profile columns as they are, except a state outside the 16 (the original stored any non-2-letter input). */
  #profile(run: Run, row: OriginalUser | OriginalFinalizedWeek) {
    let state = row.state_code;
    if (state !== null && !isStateCode(state)) {
      run.note(`state codes outside the 16 states set to null (the original stored them unchecked)`);
      state = null;
    }
    return {
      hospital_id: row.hospital_id,
      specialty: row.specialty,
      role_level: row.role_level,
      state_code: state,
      profession: row.profession,
      seniority: row.seniority,
      department_group: row.department_group,
      specialization_code: row.specialization_code,
      hospital_ref_id: row.hospital_ref_id,
    };
  }

  #week(run: Run, row: OriginalFinalizedWeek): Insertable<FinalizedWeeksTable> {
    return {
      id: row.finalized_week_id,
      user_id: row.user_id,
      week_start: row.week_start,
      week_end: row.week_end,
      planned_centihours: centihours(row.planned_hours),
      actual_centihours: centihours(row.actual_hours),
      country_code: row.country_code || COUNTRY_CODE,
      finalized_at: row.finalized_at,
      ...this.#profile(run, row),
    };
  }

  /** Rows that belong to a user: carried only when the user is here (imported now or before, not erased). */
  async #importChildren<S extends { user_id: string }, T extends UserRowsTable>(
    run: Run,
    table: T,
    fetch: (after: string | null, limit: number) => Promise<S[]>,
    key: (row: S) => string,
    map: (row: S) => UserRows[T],
  ): Promise<void> {
    const { target } = this.deps;
    await run.batches(table, fetch, key, async (batch) => {
      const kept = batch.filter((row) => {
        if (!run.skippedUsers.has(row.user_id)) return true;
        run.skip(table);
        return false;
      });
      const rows = kept.map(map);
      if (run.dryRun) {
        const present = await target.presentUsers([...new Set(rows.map((r) => r.user_id))]);
        const ofUsersHere = rows.filter((r) => present.has(r.user_id) || run.wouldBeUsers.has(r.user_id));
        const known = await target.presentIds(table, ofUsersHere.map((r) => r.id));
        run.count(table, ofUsersHere.filter((r) => !known.has(r.id)).length);
        return;
      }
      run.count(table, await target.insertUserRows(table, rows));
    }, run.bigBatchSize);
  }

  /** Young feedback, scrubbed by today's rules and unlinked (the original's user_id was never proven). */
  async #importFeedback(run: Run, cutoff: string): Promise<string[]> {
    const { source, target } = this.deps;
    const ids: string[] = [];
    await run.batches('feedback', (after, n) => source.feedback(after, n, cutoff), (r) => r.report_id, async (batch) => {
      const rows: Insertable<FeedbackTable>[] = [];
      for (const row of batch) {
        ids.push(row.report_id);
        try {
          rows.push({ id: row.report_id, user_id: null, ...storedFeedback(feedbackInput(row)), status: 'new', created_at: row.created_at, updated_at: row.created_at });
        } catch {
          run.skip('feedback');
          run.note('feedback report(s) skipped: app_state too large to store');
        }
      }
      if (run.dryRun) {
        const known = await target.presentIds('feedback', rows.map((r) => r.id));
        run.count('feedback', rows.filter((r) => !known.has(r.id)).length);
        return;
      }
      run.count('feedback', await target.transaction((trx) => target.insertFeedback(trx, rows)));
    });
    return ids;
  }

  /** The published statistics, frozen as shown, each labelled with its method. */
  async #importStatistics(run: Run, importedAt: string): Promise<void> {
    const { source, target } = this.deps;
    await run.batches('imported_statistics', (after, n) => source.publishedStatistics(after, n), (r) => r.stat_id, async (batch) => {
      const rows = batch.map((row: OriginalStatistic) => ({
        id: row.stat_id,
        method: row.role_level === 'all' ? ORIGINAL_STATISTICS_METHODS.weekly : ORIGINAL_STATISTICS_METHODS.legacy,
        country_code: row.country_code,
        state_code: row.state_code,
        specialty: row.specialty,
        period_type: row.period_type,
        period_start: row.period_start,
        period_end: row.period_end,
        planned_mean_hours: numberOrNull(row.avg_planned_hours_noised),
        overtime_mean_hours: numberOrNull(row.avg_overtime_hours_noised),
        planned_ci_half: numberOrNull(row.planned_ci_half),
        actual_ci_half: numberOrNull(row.actual_ci_half),
        overtime_ci_half: numberOrNull(row.overtime_ci_half),
        n_display: row.n_display,
        computed_at: row.computed_at,
        imported_at: importedAt,
      }));
      if (run.dryRun) {
        const known = await target.presentIds('imported_statistics', rows.map((r) => r.id));
        run.count('imported_statistics', rows.filter((r) => !known.has(r.id)).length);
        return;
      }
      run.count('imported_statistics', await target.transaction((trx) => target.insertStatistics(trx, rows)));
    });
  }
}

/** The original's `app_state` (contract §2, feedback_reports) as the fields a report sent here has today. */
function feedbackInput(row: OriginalFeedback): FeedbackInput {
  const state = (row.app_state ?? {}) as Record<string, any>;
  const object = (value: unknown): Record<string, any> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {});
  const text = (value: unknown) => (value === undefined || value === null ? null : String(value));
  const app = object(state.app);
  const diagnostics = object(state.diagnostics);
  const locations = object(state.locations);
  const events = object(state.work_events);
  const input: FeedbackInput = {
    description: row.description,
    app_version: text(app.version),
    build_number: text(app.build_number),
    platform: text(app.platform),
    device_model: text(app.device_model),
    os_version: text(app.os_version),
  };
  // Before 2026-06-04 there was no `diagnostics` key: no opt-in, so no location data is kept.
  if (typeof diagnostics.include_location_diagnostics === 'boolean') input.include_location_diagnostics = diagnostics.include_location_diagnostics;
  if (diagnostics.scope === 'standard' || diagnostics.scope === 'location') input.diagnostics_scope = diagnostics.scope;
  if (typeof diagnostics.feature_area === 'string') input.feature_area = diagnostics.feature_area;
  if (typeof locations.count === 'number') input.locations_count = locations.count;
  if (Array.isArray(locations.details)) {
    input.locations_details = locations.details
      .filter((d: any) => d && typeof d.latitude === 'number' && typeof d.longitude === 'number')
      .map((d: any) => ({ name: String(d.name ?? ''), latitude: d.latitude, longitude: d.longitude }));
  }
  if (typeof events.total === 'number') input.work_events_total = events.total;
  if (typeof events.pending === 'number') input.work_events_pending = events.pending;
  if (events.last_submission !== undefined) input.last_submission = text(events.last_submission);
  if (state.gps_telemetry && typeof state.gps_telemetry === 'object') input.gps_telemetry = state.gps_telemetry;
  return input;
}

/** The bookkeeping of one run: counts, skips, notes, progress. */
class Run {
  readonly dryRun: boolean;
  readonly batchSize: number;
  readonly bigBatchSize: number;
  readonly imported = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  /** Source users left out as faulty: their rows are skipped with them (and counted). */
  readonly skippedUsers = new Set<string>();
  /** Users a dry run would import, so that their rows count as importable. */
  readonly wouldBeUsers = new Set<string>();
  readonly #notes = new Map<string, number>();

  constructor(
    private readonly options: ImportOptions,
    private readonly clock: Clock,
  ) {
    this.dryRun = options.dryRun === true;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.bigBatchSize = options.batchSize ?? DEFAULT_BIG_BATCH_SIZE;
  }

  count(table: string, n: number): void {
    this.imported.set(table, (this.imported.get(table) ?? 0) + n);
  }

  skip(table: string, n = 1): void {
    this.skipped.set(table, (this.skipped.get(table) ?? 0) + n);
  }

  skipUser(id: string, table: string, why: string): void {
    this.skippedUsers.add(id);
    this.skip(table);
    this.note(why);
  }

  note(text: string): void {
    this.#notes.set(text, (this.#notes.get(text) ?? 0) + 1);
  }

  notes(): string[] {
    return [...this.#notes].map(([text, n]) => `${n} × ${text}`);
  }

  /**
   * Reads `table` in keyset batches, hands each to `handle`, and reports progress every few seconds. The
   * next batch is read from the original while up to WRITERS batches are written here (their rows are
   * disjoint, and each batch is its own transaction); no more than WRITERS + 1 batches are ever held.
   */
  async batches<S>(
    table: string,
    fetch: (after: string | null, limit: number) => Promise<S[]>,
    key: (row: S) => string,
    handle: (batch: S[]) => Promise<void>,
    size = this.batchSize,
  ) {
    const started = this.clock.now().getTime();
    const interval = this.options.progressIntervalMs ?? 5000;
    let lastReport = started;
    let read = 0;
    const writing = new Set<Promise<void>>();
    let next: Promise<S[]> | null = fetch(null, size);
    try {
      while (next) {
        const batch: S[] = await next;
        if (batch.length === 0) break;
        // A short batch is the last one: nothing to read ahead.
        next = batch.length < size ? null : fetch(key(batch.at(-1)!), size);
        // Without a handler on the read-ahead, a failed write would leave its rejection unhandled.
        next?.catch(() => {});
        const write: Promise<void> = handle(batch).finally(() => writing.delete(write));
        writing.add(write);
        // Handled here so that a failure is never "unhandled" while it waits to be awaited below.
        write.catch(() => {});
        if (writing.size >= WRITERS) await Promise.race(writing);
        read += batch.length;
        const now = this.clock.now().getTime();
        if (this.options.onProgress && now - lastReport >= interval) {
          lastReport = now;
          const rate = Math.round((read * 1000) / Math.max(1, now - started));
          this.options.onProgress(`${table}: ${read.toLocaleString('en')} read, ${(this.imported.get(table) ?? 0).toLocaleString('en')} ${this.dryRun ? 'to import' : 'imported'} (${rate.toLocaleString('en')} rows/s)`);
        }
      }
    } finally {
      // Every write of this table ends before the next table starts (its rows need these users), or the run fails.
      const results = await Promise.allSettled(writing);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }
}
