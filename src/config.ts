/**
 * Configuration: read once from the environment into a typed, validated object.
 *
 * Variable names follow the seed document (`SECRET_KEY`, `EMAIL__SMTP_HOST`, ...). Every problem found is
 * collected so that an operator sees all of them at once, one line each, instead of fixing them one by one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';

export type NodeEnv = 'development' | 'production' | 'test';

export type DatabaseConfig =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; url: string; poolMax: number };

export interface EmailConfig {
  smtpHost: string | null;
  smtpPort: number;
  smtpUsername: string | null;
  smtpPassword: string | null;
  fromAddress: string;
  useTls: boolean;
  /**
   * `EMAIL__DISABLED=true`: the operator states that this instance sends no e-mail (a demo-only instance:
   * only the demo account can sign in, every other code request answers 503). Production refuses to start
   * without SMTP unless this is set.
   */
  disabled: boolean;
}

export interface AggregationConfig {
  /** Privacy budget per person and month; its split is fixed by the method (statistics-method.ts, BUDGET_SHARES). */
  epsilon: number;
  /** A figure is displayed only when its noisy count is at least this (and at least its level's threshold). */
  kMin: number;
  /** A figure is displayed only when each of its 90% intervals is at most ± this many hours. */
  maxHalfWidthHours: number;
  /** Upper clipping bound of a person's mean weekly hours (the sensitivity of the sums). */
  weeklyHoursCap: number;
  graceDays: number;
  /** The first month the aggregation considers (YYYY-MM); earlier data is never published. */
  firstPeriod: string;
  /** Cron expression (UTC) for the in-process daily job, or null when disabled. */
  cron: string | null;
}

/**
 * Admission control (src/plugins/overload.ts): when one of these bounds is passed, a new request is refused
 * when it arrives (503 with `Retry-After`, sent after `refusalDelayMs`) instead of waiting in a queue;
 * requests already admitted always finish.
 * Every bound is per worker process; 0 turns it off.
 */
export interface OverloadConfig {
  /** Requests being served at once (admitted and not yet answered). */
  maxInFlight: number;
  /** Queries waiting for a free PostgreSQL connection (ignored on SQLite, which has no pool). */
  maxPoolWaiting: number;
  /** Median event-loop delay over the last sampling window (0.5 s), in milliseconds. */
  maxEventLoopDelayMs: number;
  /** The `Retry-After` of a shed request, in seconds. */
  retryAfterSeconds: number;
  /**
   * How long a refusal is held before it is sent, in milliseconds (0: at once). A client that retries the
   * moment it is refused can then be refused at most once per this time on each connection.
   */
  refusalDelayMs: number;
}

/** Sign in with Apple and Google (contract §4.14): where the providers publish their keys, and our audience. */
export interface SocialAuthConfig {
  apple: { bundleId: string; jwksUrl: string };
  /** `clientId` null: Google sign-in answers 501. */
  google: { clientId: string | null; jwksUrl: string };
}

export interface Config {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  host: string;
  port: number;
  /**
   * Server worker processes on this machine (`node:cluster`): `WEB_CONCURRENCY`, by default the number of
   * cores in production and 1 otherwise; always 1 on SQLite.
   */
  webConcurrency: number;
  overload: OverloadConfig;
  logLevel: string;
  dataDir: string;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  secretKey: string;
  emailHashSecret: string;
  /**
   * The original backend's `SECURITY__SECRET_KEY` while its tokens are still in circulation (at most 90 days
   * after the switch), else null: its access tokens are then accepted and renewed (src/services/tokens.ts).
   */
  originalSecretKey: string | null;
  email: EmailConfig;
  adminUsername: string;
  adminPassword: string | null;
  demo: { email: string; code: string } | null;
  docsEnabled: boolean;
  metricsEnabled: boolean;
  corsOrigins: string[];
  trustedProxies: string[];
  timezone: string;
  currentTermsVersion: string;
  currentPrivacyVersion: string;
  aggregation: AggregationConfig;
  feedbackRetentionDays: number;
  socialAuth: SocialAuthConfig;
  /** Links on the public page, each shown only when set (a German public site needs an imprint and a privacy policy). */
  publicPage: { imprintUrl: string | null; privacyUrl: string | null; contactEmail: string | null };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const MIN_SECRET_LENGTH = 32;

/** Reads `.env` from the working directory into `process.env` without overriding variables already set. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'], 'development');
  const isProduction = nodeEnv === 'production';
  const dataDir = path.resolve(read.string('DATA_DIR') ?? './data');

  const database = parseDatabaseUrl(env.DATABASE_URL, dataDir, isProduction, problems, read);

  const secrets = readSecrets(env, dataDir, isProduction, problems);

  const demoEmail = read.string('DEMO__EMAIL');
  const demoCode = read.string('DEMO__CODE');
  if ((demoEmail === null) !== (demoCode === null)) {
    problems.push('DEMO__EMAIL and DEMO__CODE must be set together (or neither)');
  }
  if (demoCode !== null && !/^\d{6}$/.test(demoCode)) {
    problems.push('DEMO__CODE must be exactly 6 digits');
  }

  const epsilon = read.number('EPSILON', 1.0, { min: 0, exclusiveMin: true });
  const config: Config = {
    nodeEnv,
    isProduction,
    host: read.string('HOST') ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    port: read.integer('PORT', 8000, { min: 0, max: 65535 }),
    webConcurrency: webConcurrency(read, isProduction, database, problems),
    overload: {
      maxInFlight: read.integer('SHED_MAX_IN_FLIGHT', 64, { min: 0 }),
      maxPoolWaiting: read.integer('SHED_MAX_POOL_WAITING', 100, { min: 0 }),
      maxEventLoopDelayMs: read.integer('SHED_MAX_EVENT_LOOP_DELAY_MS', 200, { min: 0 }),
      retryAfterSeconds: read.integer('SHED_RETRY_AFTER_SECONDS', 2, { min: 1, max: 3600 }),
      refusalDelayMs: read.integer('SHED_REFUSAL_DELAY_MS', 250, { min: 0, max: 10_000 }),
    },
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    dataDir,
    database,
    migrateOnStart: read.boolean('MIGRATE_ON_START', true),
    secretKey: secrets.secretKey,
    emailHashSecret: secrets.emailHashSecret,
    originalSecretKey: read.string('ORIGINAL_SECRET_KEY'),
    email: {
      smtpHost: read.string('EMAIL__SMTP_HOST'),
      smtpPort: read.integer('EMAIL__SMTP_PORT', 587, { min: 1, max: 65535 }),
      smtpUsername: read.string('EMAIL__SMTP_USERNAME'),
      smtpPassword: read.string('EMAIL__SMTP_PASSWORD'),
      fromAddress: read.string('EMAIL__FROM_ADDRESS') ?? 'Open Working Hours <noreply@openworkinghours.org>',
      useTls: read.boolean('EMAIL__USE_TLS', true),
      disabled: read.boolean('EMAIL__DISABLED', false),
    },
    adminUsername: read.string('ADMIN_USERNAME') ?? 'admin',
    adminPassword: read.string('ADMIN_PASSWORD'),
    demo: demoEmail !== null && demoCode !== null ? { email: demoEmail.trim().toLowerCase(), code: demoCode } : null,
    docsEnabled: read.boolean('DOCS_ENABLED', !isProduction),
    metricsEnabled: read.boolean('METRICS_ENABLED', true),
    corsOrigins: read.list('CORS_ORIGINS'),
    trustedProxies: read.list('TRUSTED_PROXIES'),
    timezone: read.timezone('TIMEZONE', 'Europe/Berlin'),
    currentTermsVersion: read.string('CURRENT_TERMS_VERSION') ?? '2026-05',
    currentPrivacyVersion: read.string('CURRENT_PRIVACY_VERSION') ?? '2026-05',
    aggregation: {
      epsilon,
      kMin: read.integer('K_MIN', 10, { min: 2 }),
      maxHalfWidthHours: read.number('STATS_MAX_HALF_WIDTH_HOURS', 10, { min: 0.01, max: 1000 }),
      weeklyHoursCap: read.number('WEEKLY_HOURS_CAP', 80, { min: 1, max: 168 }),
      graceDays: read.integer('AGGREGATION_GRACE_DAYS', 7, { min: 0, max: 365 }),
      firstPeriod: read.period('STATS_FIRST_PERIOD', '2020-01'),
      cron: read.cron('AGGREGATION_CRON', '0 3 * * *'),
    },
    feedbackRetentionDays: read.integer('FEEDBACK_RETENTION_DAYS', 90, { min: 1 }),
    socialAuth: {
      apple: {
        bundleId: read.string('APPLE_BUNDLE_ID') ?? 'com.openworkinghours.mobileapp',
        jwksUrl: read.httpUrl('APPLE_JWKS_URL', 'https://appleid.apple.com/auth/keys'),
      },
      google: {
        clientId: read.string('GOOGLE_CLIENT_ID'),
        jwksUrl: read.httpUrl('GOOGLE_JWKS_URL', 'https://www.googleapis.com/oauth2/v3/certs'),
      },
    },
    publicPage: {
      imprintUrl: read.httpUrl('IMPRINT_URL', null),
      privacyUrl: read.httpUrl('PRIVACY_URL', null),
      contactEmail: read.emailAddress('CONTACT_EMAIL'),
    },
  };

  if (isProduction) problems.push(...weakProductionSettings(config));
  if (config.originalSecretKey !== null && config.originalSecretKey.length < MIN_SECRET_LENGTH) {
    problems.push(`ORIGINAL_SECRET_KEY is too short: the original backend's SECRET_KEY has at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The documented range of `EPSILON` in production: below it the statistics are noise, above it privacy is nominal. */
export const PRODUCTION_EPSILON_RANGE = { min: 0.1, max: 10 } as const;
export const PRODUCTION_MIN_K = 5;
export const PRODUCTION_MIN_ADMIN_PASSWORD_LENGTH = 16;

/**
 * Settings that work but are unsafe for real users: refused in production only, since development and
 * tests rely on them (tests publish with a huge epsilon to see exact values).
 */
function weakProductionSettings(config: Config): string[] {
  const problems: string[] = [];
  const { adminPassword, secretKey, emailHashSecret } = config;
  const { kMin, epsilon } = config.aggregation;
  const { smtpHost, disabled } = config.email;
  // Without SMTP every code request answers 503: sign-in is broken, and nothing else would say so.
  if (smtpHost === null && !disabled) {
    problems.push(
      'EMAIL__SMTP_HOST is required in production: without it no sign-in code can be sent (set EMAIL__DISABLED=true for a demo-only instance)',
    );
  }
  if (smtpHost !== null && disabled) problems.push('EMAIL__DISABLED=true and EMAIL__SMTP_HOST are both set: remove one of them');
  if (adminPassword !== null && adminPassword.length < PRODUCTION_MIN_ADMIN_PASSWORD_LENGTH) {
    problems.push(
      `ADMIN_PASSWORD is too short for production: ${adminPassword.length} characters, at least ` +
        `${PRODUCTION_MIN_ADMIN_PASSWORD_LENGTH} required (or leave it unset to disable the admin pages)`,
    );
  }
  // One key would both sign tokens and hash addresses: a leak of one is a leak of both.
  if (secretKey !== '' && secretKey === emailHashSecret) problems.push('SECRET_KEY and EMAIL_HASH_SECRET must be different secrets');
  if (kMin < PRODUCTION_MIN_K) {
    problems.push(`K_MIN must be at least ${PRODUCTION_MIN_K} in production (smaller groups can identify people), got ${kMin}`);
  }
  if (epsilon < PRODUCTION_EPSILON_RANGE.min || epsilon > PRODUCTION_EPSILON_RANGE.max) {
    problems.push(`EPSILON must be between ${PRODUCTION_EPSILON_RANGE.min} and ${PRODUCTION_EPSILON_RANGE.max} in production, got ${epsilon}`);
  }
  return problems;
}

/** The most workers one machine may start: far beyond any core count this service is run on. */
export const MAX_WEB_CONCURRENCY = 64;

/**
 * Worker processes: the number of cores in production (every core serves requests), 1 in development and
 * tests. SQLite allows one writer at a time and better-sqlite3 waits for the lock synchronously, so several
 * workers on one SQLite file would stall each other's event loops: SQLite runs one worker, and asking for
 * more is refused rather than silently ignored.
 */
function webConcurrency(read: Reader, isProduction: boolean, database: DatabaseConfig, problems: string[]): number {
  const cores = os.availableParallelism();
  const fallback = isProduction && database.dialect === 'postgres' ? Math.min(cores, MAX_WEB_CONCURRENCY) : 1;
  const workers = read.integer('WEB_CONCURRENCY', fallback, { min: 1, max: MAX_WEB_CONCURRENCY });
  if (workers > 1 && database.dialect === 'sqlite') {
    problems.push(`WEB_CONCURRENCY must be 1 on SQLite (one writer at a time), got ${workers}; use PostgreSQL for several workers`);
    return 1;
  }
  return workers;
}

function parseDatabaseUrl(
  raw: string | undefined,
  dataDir: string,
  isProduction: boolean,
  problems: string[],
  read: Reader,
): DatabaseConfig {
  const poolMax = read.integer('DATABASE_POOL_MAX', 10, { min: 1, max: 1000 });
  const url = raw?.trim();
  if (!url) {
    if (isProduction) problems.push('DATABASE_URL is required in production (e.g. postgresql://user:pass@host:5432/owh)');
    return { dialect: 'sqlite', path: path.join(dataDir, 'owh.db') };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      const parsed = new URL(url);
      if (!parsed.hostname && !parsed.searchParams.get('host')) throw new Error('no host');
    } catch {
      problems.push('DATABASE_URL is not a valid PostgreSQL URL (expected postgresql://user:pass@host:5432/dbname)');
    }
    return { dialect: 'postgres', url, poolMax };
  }
  if (url.startsWith('sqlite:')) {
    const file = sqlitePath(url);
    if (!file) problems.push('DATABASE_URL has an empty SQLite path (expected sqlite:./data/owh.db)');
    return { dialect: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  problems.push(
    `DATABASE_URL has an unsupported scheme${scheme ? ` '${scheme}:'` : ''}; use sqlite:PATH or postgresql://user:pass@host:port/db`,
  );
  return { dialect: 'sqlite', path: path.join(dataDir, 'owh.db') };
}

/**
 * Accepts `sqlite:PATH` as well as the SQLAlchemy forms the seed's operators know:
 * `sqlite:///relative.db`, `sqlite:////absolute/path.db` and `sqlite://` (in memory).
 */
export function sqlitePath(url: string): string {
  if (url.startsWith('sqlite:///')) return url.slice('sqlite:///'.length);
  if (url === 'sqlite://' || url === 'sqlite::memory:') return ':memory:';
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  return url.slice('sqlite:'.length);
}

/**
 * In production both secrets must be given and long. In development a missing secret is generated once and
 * kept in the data directory, so that tokens and e-mail hashes stay valid across restarts.
 */
function readSecrets(env: Env, dataDir: string, isProduction: boolean, problems: string[]) {
  const names = ['SECRET_KEY', 'EMAIL_HASH_SECRET'] as const;
  const given = Object.fromEntries(names.map((n) => [n, env[n]?.trim() || null])) as Record<
    (typeof names)[number],
    string | null
  >;
  if (isProduction) {
    for (const name of names) {
      const value = given[name];
      if (!value) problems.push(`${name} is required in production (at least ${MIN_SECRET_LENGTH} characters)`);
      else if (value.length < MIN_SECRET_LENGTH)
        problems.push(`${name} is too short: ${value.length} characters, at least ${MIN_SECRET_LENGTH} required`);
    }
    return { secretKey: given.SECRET_KEY ?? '', emailHashSecret: given.EMAIL_HASH_SECRET ?? '' };
  }
  if (given.SECRET_KEY && given.EMAIL_HASH_SECRET) {
    return { secretKey: given.SECRET_KEY, emailHashSecret: given.EMAIL_HASH_SECRET };
  }
  const stored = developmentSecrets(dataDir);
  return {
    secretKey: given.SECRET_KEY ?? stored.SECRET_KEY,
    emailHashSecret: given.EMAIL_HASH_SECRET ?? stored.EMAIL_HASH_SECRET,
  };
}

function developmentSecrets(dataDir: string): { SECRET_KEY: string; EMAIL_HASH_SECRET: string } {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<string, string>>;
    if (stored.SECRET_KEY && stored.EMAIL_HASH_SECRET) {
      return { SECRET_KEY: stored.SECRET_KEY, EMAIL_HASH_SECRET: stored.EMAIL_HASH_SECRET };
    }
  }
  const secrets = {
    SECRET_KEY: randomBytes(48).toString('base64url'),
    EMAIL_HASH_SECRET: randomBytes(48).toString('base64url'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

interface NumberBounds {
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

/** Small typed readers that record a clear problem line instead of throwing. */
class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string): string | null {
    const value = this.env[name]?.trim();
    return value ? value : null;
  }

  integer(name: string, fallback: number, bounds: NumberBounds = {}): number {
    const raw = this.string(name);
    if (raw === null) return fallback;
    if (!/^-?\d+$/.test(raw)) {
      this.problems.push(`${name} must be a whole number, got '${raw}'`);
      return fallback;
    }
    return this.checkBounds(name, Number(raw), bounds) ?? fallback;
  }

  number(name: string, fallback: number, bounds: NumberBounds = {}): number {
    const raw = this.string(name);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      this.problems.push(`${name} must be a number, got '${raw}'`);
      return fallback;
    }
    return this.checkBounds(name, value, bounds) ?? fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined || raw === null) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got '${raw}'`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === null) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
    return fallback;
  }

  list(name: string): string[] {
    const raw = this.string(name);
    if (raw === null) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  timezone(name: string, fallback: string): string {
    const raw = this.string(name);
    if (raw === null) return fallback;
    try {
      new Intl.DateTimeFormat('en-CA', { timeZone: raw });
      return raw;
    } catch {
      this.problems.push(`${name} is not a known IANA time zone, got '${raw}'`);
      return fallback;
    }
  }

  /** A month written as YYYY-MM. */
  period(name: string, fallback: string): string {
    const raw = this.string(name);
    if (raw === null) return fallback;
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(raw)) {
      this.problems.push(`${name} must be a month written as YYYY-MM, got '${raw}'`);
      return fallback;
    }
    return raw;
  }

  cron(name: string, fallback: string): string | null {
    const raw = this.string(name);
    if (raw === null) return fallback;
    if (['off', 'false', 'none', 'disabled'].includes(raw.toLowerCase())) return null;
    try {
      new Cron(raw, { paused: true, timezone: 'UTC' }).stop();
      return raw;
    } catch {
      this.problems.push(`${name} must be a cron expression like '0 3 * * *' or 'off', got '${raw}'`);
      return fallback;
    }
  }

  /** An absolute http(s) URL (http is allowed for tests and internal mirrors). */
  httpUrl<Fallback extends string | null>(name: string, fallback: Fallback): string | Fallback {
    const raw = this.string(name);
    if (raw === null) return fallback;
    try {
      const url = new URL(raw);
      if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be an http(s) URL, got '${raw}'`);
    return fallback;
  }

  /** A plain address (`team@example.org`), e.g. for a mailto: link; no display name, spaces or markup. */
  emailAddress(name: string): string | null {
    const raw = this.string(name);
    if (raw === null) return null;
    if (/^[^\s@<>()",;:\\]+@[^\s@<>()",;:\\]+\.[a-z]{2,}$/i.test(raw)) return raw;
    this.problems.push(`${name} must be an e-mail address like team@example.org, got '${raw}'`);
    return null;
  }

  private checkBounds(name: string, value: number, bounds: NumberBounds): number | null {
    const { min, max, exclusiveMin, exclusiveMax } = bounds;
    const tooLow = min !== undefined && (exclusiveMin ? value <= min : value < min);
    const tooHigh = max !== undefined && (exclusiveMax ? value >= max : value > max);
    if (tooLow || tooHigh) {
      const low = min === undefined ? '' : `${exclusiveMin ? 'greater than' : 'at least'} ${min}`;
      const high = max === undefined ? '' : `${exclusiveMax ? 'less than' : 'at most'} ${max}`;
      this.problems.push(`${name} must be ${[low, high].filter(Boolean).join(' and ')}, got ${value}`);
      return null;
    }
    return value;
  }
}
