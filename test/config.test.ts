import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

const LONG = 'x'.repeat(32);
/** A production environment that passes every check; tests change one thing at a time. */
const PRODUCTION = {
  NODE_ENV: 'production',
  SECRET_KEY: LONG,
  EMAIL_HASH_SECRET: LONG + 'y',
  DATABASE_URL: 'postgresql://owh:pw@db:5432/owh',
  EMAIL__SMTP_HOST: 'smtp.example.org',
};
const tempDir = () => mkdtempSync(path.join(tmpdir(), 'owh-config-'));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('configuration was accepted');
}

describe('configuration', () => {
  test('development works with no variables at all and generates secrets once', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    assert.equal(first.nodeEnv, 'development');
    assert.equal(first.port, 8000);
    assert.equal(first.host, '127.0.0.1');
    assert.deepEqual(first.database, { dialect: 'sqlite', path: path.join(dataDir, 'owh.db') });
    assert.ok(first.secretKey.length >= 32);
    assert.ok(existsSync(path.join(dataDir, 'secrets.json')));
    const second = loadConfig({ DATA_DIR: dataDir });
    assert.equal(second.secretKey, first.secretKey, 'tokens survive a restart');
    assert.equal(second.emailHashSecret, first.emailHashSecret, 'e-mail hashes survive a restart');
    assert.notEqual(first.secretKey, first.emailHashSecret);
    const mode = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'));
    assert.equal(mode.SECRET_KEY, first.secretKey);
  });

  test('production listens on all interfaces and turns docs off', () => {
    const config = loadConfig(PRODUCTION);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.docsEnabled, false);
    assert.deepEqual(config.database, { dialect: 'postgres', url: 'postgresql://owh:pw@db:5432/owh', poolMax: 10 });
  });

  test('WEB_CONCURRENCY: one worker per core in production on PostgreSQL, one in development and on SQLite', () => {
    assert.equal(loadConfig(PRODUCTION).webConcurrency, os.availableParallelism());
    assert.equal(loadConfig({ ...PRODUCTION, WEB_CONCURRENCY: '3' }).webConcurrency, 3);
    assert.equal(loadConfig({ ...PRODUCTION, DATABASE_URL: `sqlite:${tempDir()}/demo.db` }).webConcurrency, 1);
    assert.equal(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: 'postgresql://db/owh' }).webConcurrency, 1);
    assert.deepEqual(problemsOf({ DATA_DIR: tempDir(), WEB_CONCURRENCY: '2' }), [
      'WEB_CONCURRENCY must be 1 on SQLite (one writer at a time), got 2; use PostgreSQL for several workers',
    ]);
    assert.deepEqual(problemsOf({ ...PRODUCTION, WEB_CONCURRENCY: '0' }), ['WEB_CONCURRENCY must be at least 1 and at most 64, got 0']);
    assert.deepEqual(problemsOf({ ...PRODUCTION, WEB_CONCURRENCY: 'auto' }), ["WEB_CONCURRENCY must be a whole number, got 'auto'"]);
  });

  test('overload bounds: defaults, 0 turns a bound off, nonsense is refused', () => {
    assert.deepEqual(loadConfig(PRODUCTION).overload, {
      maxInFlight: 64,
      maxPoolWaiting: 100,
      maxEventLoopDelayMs: 200,
      retryAfterSeconds: 2,
      refusalDelayMs: 250,
    });
    const off = loadConfig({
      ...PRODUCTION,
      SHED_MAX_IN_FLIGHT: '0',
      SHED_MAX_POOL_WAITING: '0',
      SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      SHED_REFUSAL_DELAY_MS: '0',
    });
    assert.deepEqual(off.overload, { maxInFlight: 0, maxPoolWaiting: 0, maxEventLoopDelayMs: 0, retryAfterSeconds: 2, refusalDelayMs: 0 });
    assert.deepEqual(problemsOf({ ...PRODUCTION, SHED_MAX_IN_FLIGHT: '-1', SHED_RETRY_AFTER_SECONDS: '0', SHED_REFUSAL_DELAY_MS: '-5' }), [
      'SHED_MAX_IN_FLIGHT must be at least 0, got -1',
      'SHED_RETRY_AFTER_SECONDS must be at least 1 and at most 3600, got 0',
      'SHED_REFUSAL_DELAY_MS must be at least 0 and at most 10000, got -5',
    ]);
  });

  test('production refuses missing secrets and DATABASE_URL, one line per problem', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATA_DIR: tempDir() });
    assert.equal(problems.length, 4);
    assert.match(problems.join('\n'), /EMAIL__SMTP_HOST is required in production/);
    assert.match(problems.join('\n'), /SECRET_KEY is required/);
    assert.match(problems.join('\n'), /EMAIL_HASH_SECRET is required/);
    assert.match(problems.join('\n'), /DATABASE_URL is required in production/);
  });

  test('production refuses secrets shorter than 32 characters', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      SECRET_KEY: 'short',
      EMAIL_HASH_SECRET: 'x'.repeat(31),
      DATABASE_URL: 'postgres://h/db',
      EMAIL__SMTP_HOST: 'smtp.example.org',
    });
    assert.deepEqual(problems, [
      'SECRET_KEY is too short: 5 characters, at least 32 required',
      'EMAIL_HASH_SECRET is too short: 31 characters, at least 32 required',
    ]);
  });

  test('production refuses weak settings, one clear line each', () => {
    assert.deepEqual(
      problemsOf({ ...PRODUCTION, ADMIN_PASSWORD: 'a', EMAIL_HASH_SECRET: LONG, K_MIN: '2', EPSILON: '100' }),
      [
        'ADMIN_PASSWORD is too short for production: 1 characters, at least 16 required (or leave it unset to disable the admin pages)',
        'SECRET_KEY and EMAIL_HASH_SECRET must be different secrets',
        'K_MIN must be at least 5 in production (smaller groups can identify people), got 2',
        'EPSILON must be between 0.1 and 10 in production, got 100',
      ],
    );
    assert.deepEqual(problemsOf({ ...PRODUCTION, EPSILON: '0.01' }), ['EPSILON must be between 0.1 and 10 in production, got 0.01']);
    // The limits themselves are accepted.
    const edge = loadConfig({ ...PRODUCTION, ADMIN_PASSWORD: 'p'.repeat(16), K_MIN: '5', EPSILON: '10' });
    assert.deepEqual([edge.adminPassword?.length, edge.aggregation.kMin, edge.aggregation.epsilon], [16, 5, 10]);
    assert.equal(loadConfig({ ...PRODUCTION, EPSILON: '0.1' }).aggregation.epsilon, 0.1);
    // Development and tests may use anything (tests publish with a huge epsilon to see exact values).
    const dev = loadConfig({ DATA_DIR: tempDir(), ADMIN_PASSWORD: 'a', K_MIN: '2', EPSILON: '1e9', SECRET_KEY: LONG, EMAIL_HASH_SECRET: LONG });
    assert.deepEqual([dev.adminPassword, dev.aggregation.kMin, dev.aggregation.epsilon], ['a', 2, 1e9]);
  });

  test('production refuses to start without SMTP unless e-mail is explicitly disabled', () => {
    const { EMAIL__SMTP_HOST: _host, ...withoutSmtp } = PRODUCTION;
    assert.deepEqual(problemsOf(withoutSmtp), [
      'EMAIL__SMTP_HOST is required in production: without it no sign-in code can be sent (set EMAIL__DISABLED=true for a demo-only instance)',
    ]);
    const demoOnly = loadConfig({ ...withoutSmtp, EMAIL__DISABLED: 'true' });
    assert.equal(demoOnly.email.smtpHost, null);
    assert.equal(demoOnly.email.disabled, true);
    assert.deepEqual(problemsOf({ ...PRODUCTION, EMAIL__DISABLED: 'true' }), [
      'EMAIL__DISABLED=true and EMAIL__SMTP_HOST are both set: remove one of them',
    ]);
    assert.equal(loadConfig(PRODUCTION).email.disabled, false);
  });

  test('invalid values are refused in every mode', () => {
    for (const NODE_ENV of ['development', 'production']) {
      const problems = problemsOf({
        NODE_ENV,
        SECRET_KEY: LONG,
        EMAIL_HASH_SECRET: LONG,
        PORT: 'eighty',
        DATABASE_URL: 'mysql://localhost/owh',
        DATA_DIR: tempDir(),
      });
      assert.ok(problems.includes("PORT must be a whole number, got 'eighty'"), problems.join('\n'));
      assert.ok(problems.some((p) => /DATABASE_URL has an unsupported scheme 'mysql:'/.test(p)), problems.join('\n'));
    }
    assert.deepEqual(problemsOf({ PORT: '70000', DATA_DIR: tempDir() }), ['PORT must be at least 0 and at most 65535, got 70000']);
    assert.match(problemsOf({ EMAIL__USE_TLS: 'maybe', DATA_DIR: tempDir() })[0]!, /EMAIL__USE_TLS must be true or false/);
    assert.match(problemsOf({ TIMEZONE: 'Mars/Olympus', DATA_DIR: tempDir() })[0]!, /TIMEZONE is not a known IANA time zone/);
    assert.match(problemsOf({ NODE_ENV: 'staging', DATA_DIR: tempDir() })[0]!, /NODE_ENV must be one of/);
    assert.match(problemsOf({ DEMO__EMAIL: 'demo@example.org', DATA_DIR: tempDir() })[0]!, /must be set together/);
  });

  test('DATABASE_URL accepts sqlite:PATH and the SQLAlchemy forms', () => {
    const dataDir = tempDir();
    const sqlite = (url: string) => {
      const db = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir }).database;
      assert.equal(db.dialect, 'sqlite');
      return db.dialect === 'sqlite' ? db.path : '';
    };
    assert.equal(sqlite('sqlite:./data/owh.db'), path.resolve('data/owh.db'));
    assert.equal(sqlite('sqlite:/var/lib/owh/owh.db'), '/var/lib/owh/owh.db');
    assert.equal(sqlite('sqlite:///relative.db'), path.resolve('relative.db'));
    assert.equal(sqlite('sqlite:////absolute/path.db'), '/absolute/path.db');
    assert.equal(sqlite('sqlite://'), ':memory:');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@localhost/x', DATA_DIR: dataDir }).database.dialect, 'postgres');
  });

  test('Apple and Google sign-in: defaults, overrides, and key URLs that must be http(s)', () => {
    const defaults = loadConfig({ DATA_DIR: tempDir() }).socialAuth;
    assert.deepEqual(defaults, {
      apple: { bundleId: 'com.openworkinghours.mobileapp', jwksUrl: 'https://appleid.apple.com/auth/keys' },
      google: { clientId: null, jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs' },
    });
    const set = loadConfig({
      DATA_DIR: tempDir(),
      APPLE_BUNDLE_ID: 'org.example.app',
      GOOGLE_CLIENT_ID: ' 123.apps.googleusercontent.com ',
      GOOGLE_JWKS_URL: 'http://127.0.0.1:8080/certs',
    }).socialAuth;
    assert.equal(set.apple.bundleId, 'org.example.app');
    assert.equal(set.google.clientId, '123.apps.googleusercontent.com');
    assert.equal(set.google.jwksUrl, 'http://127.0.0.1:8080/certs');
    assert.deepEqual(problemsOf({ DATA_DIR: tempDir(), APPLE_JWKS_URL: 'ftp://keys.example', GOOGLE_JWKS_URL: 'not a url' }), [
      "APPLE_JWKS_URL must be an http(s) URL, got 'ftp://keys.example'",
      "GOOGLE_JWKS_URL must be an http(s) URL, got 'not a url'",
    ]);
  });

  test('the public page links: absent by default, http(s) URLs and a plain e-mail address when set', () => {
    assert.deepEqual(loadConfig({ DATA_DIR: tempDir() }).publicPage, { imprintUrl: null, privacyUrl: null, contactEmail: null });
    assert.deepEqual(
      loadConfig({ DATA_DIR: tempDir(), IMPRINT_URL: 'https://example.org/impressum', PRIVACY_URL: ' ', CONTACT_EMAIL: 'team@example.org' }).publicPage,
      { imprintUrl: 'https://example.org/impressum', privacyUrl: null, contactEmail: 'team@example.org' },
    );
    assert.deepEqual(
      problemsOf({ DATA_DIR: tempDir(), IMPRINT_URL: 'javascript:alert(1)', PRIVACY_URL: '/datenschutz', CONTACT_EMAIL: 'Team <team@example.org>' }),
      [
        "IMPRINT_URL must be an http(s) URL, got 'javascript:alert(1)'",
        "PRIVACY_URL must be an http(s) URL, got '/datenschutz'",
        "CONTACT_EMAIL must be an e-mail address like team@example.org, got 'Team <team@example.org>'",
      ],
    );
  });

  test('CORS origins and trusted proxies are comma-separated lists', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      CORS_ORIGINS: 'https://a.example, https://b.example',
      TRUSTED_PROXIES: '10.0.0.1',
    });
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.deepEqual(config.trustedProxies, ['10.0.0.1']);
    assert.deepEqual(loadConfig({ DATA_DIR: tempDir() }).corsOrigins, []);
  });
});
