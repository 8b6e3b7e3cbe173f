/**
 * Fuzz: property-based tests (fast-check) against every endpoint of fuzz-endpoints.ts and against routes
 * that do not exist. Each generated request starts from a valid one and is broken in its body (arbitrary
 * JSON, wrong types, huge numbers, unicode and NUL characters, missing, extra and duplicated fields,
 * malformed and oversized JSON, prototype-pollution keys), its query string, its path id, its credentials
 * (every kind of bad token, Basic instead of Bearer, ...) and its headers (Content-Type, Accept, ...).
 *
 * Whatever the request, the service must answer:
 * - never with a 5xx;
 * - every error as JSON with a string `detail`;
 * - and store nothing when it refuses: the row counts of the data tables and the rows of the signed-in user
 *   and of the targeted record are the same before and after every 4xx. (Rate-limit records are the one
 *   thing a refused request is meant to leave behind, and a wrong sign-in code spends one of its attempts.)
 *
 * The seed is printed; rerun a failure with FUZZ_SEED=<seed>. RELIABILITY_FUZZ_RUNS sets the number of
 * requests per endpoint (default 100).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { User } from '../../src/db/schema.js';
import { TokenService } from '../../src/services/tokens.js';
import { basicAuth, insertWorkEvent } from '../helpers/admin-seed.js';
import { TEST_SECRETS } from '../helpers/app.js';
import { createRegisteredUser, uniqueIp } from '../helpers/auth.js';
import { FakeClock } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';
import { ENDPOINTS, type Endpoint } from './fuzz-endpoints.js';

const RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 100);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const ADMIN_PASSWORD = 'fuzz-admin-password-0123456789';
const DEMO = { DEMO__EMAIL: 'demo@openworkinghours.example', DEMO__CODE: '424242' };

/**
 * The tables whose rows a refused request must leave alone. A feature that stores something new adds its
 * table here (e.g. the statistics' privacy ledger).
 */
const DATA_TABLES = [
  'users',
  'work_events',
  'finalized_weeks',
  'feedback',
  'verification_codes',
  'stats_by_state_specialty',
  'stats_periods',
  'privacy_ledger',
  'aggregation_runs',
  'social_identities',
];

// ---- how requests are broken -------------------------------------------------------------------------

/** Text that can arrive in an HTTP/1.1 header: printable ASCII and Latin-1 (obs-text). */
const headerText = fc.string({
  maxLength: 80,
  unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)),
});

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -1, 1.5, -0.5, 1e308, -1e308, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21,
    '', ' ', '\u0000', 'a\u0000b', 'null', '0', '1', '480',
    '2026-02-30', '2026-03-15', '2026-03-14', '9999-12-31', '0000-01-01', '2019-12-31', '2026-03-14T00:00:00Z',
    [], {}, [null], { a: 1 }, ['2026-03-01'], { k: 'a\u0000b' }, { 'k\u0000': 1 },
    'x'.repeat(10_000), '<img src=x onerror=alert(1)>', "'; drop table users; --", '\u202e\ud800\udfff\ufeff', '😀'.repeat(300),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

const weirdQueryValue = fc.oneof(
  fc.constantFrom(
    '', '-1', '0', '1e3', '1e20', '1e400', '9007199254740993', '99999999999999999999', 'NaN', 'Infinity', '-0', '0x10',
    '1.5', ' 1', 'true', 'null', '\u0000', '2026-02-30', '2026-03-15', '9999-12-31', '0001-01-01', '2026-3-1',
    'x'.repeat(5000), 'new', 'RESOLVED', 'error',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.bigInt().map(String),
  fc.double().map(String),
);

/** Query strings as they may arrive, not as URLSearchParams would write them. */
const RAW_QUERIES = ['?', '?&&&', '?=', '?%', '?%zz', '?limit=%ff', '?a[b]=1', '?limit[]=1', '?limit=1&limit=2', '?offset=1e20', '?limit=1e400', '?limit=%00', '?__proto__=1', '?constructor[prototype][x]=1'];

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };
const none: Body = { kind: 'none' };
const json = (value: unknown): Body => ({ kind: 'json', value });
const raw = (text: string): Body => ({ kind: 'raw', text });

const RAW_BODIES = [
  '', '{', '}', '[', 'null', 'true', '"x"', '0', '{"a":', '\u0000', '\ufeff{}', '{"a":1}garbage', 'NaN', '1e999', '[]',
  '{"a":"\\ud800"}', '{"a":"\\u0000"}', `[${'['.repeat(5000)}${']'.repeat(5000)}]`,
  // Over the 1 MB body limit.
  `{"description":"${'x'.repeat(1_100_000)}"}`,
];

type Mutation = (valid: Record<string, unknown>) => Body;

const withKeyFirst = (key: string, value: string, valid: Record<string, unknown>) => {
  const rest = JSON.stringify(valid).slice(1, -1);
  return raw(`{"${key}":${value}${rest ? `,${rest}` : ''}}`);
};

function mutations(fields: string[]): fc.Arbitrary<Mutation> {
  const generic: fc.Arbitrary<Mutation>[] = [
    fc.tuple(fc.string({ maxLength: 20 }), weirdValue).map(([key, value]): Mutation => (v) => json({ ...v, [key]: value })),
    fc.constant((v) => json([v])),
    fc.constant((v) => json({ data: v })),
    fc.constant((v) => raw(JSON.stringify(v).slice(0, -1))),
    fc.constant((v) => raw(JSON.stringify(v).repeat(2))),
    fc.constant((v) => withKeyFirst('__proto__', '{"polluted":true}', v)),
    fc.constant((v) => withKeyFirst('constructor', '{"prototype":{"polluted":true}}', v)),
  ];
  if (fields.length === 0) return fc.oneof(...generic);
  return fc.oneof(
    ...generic,
    fc.constantFrom(...fields).map((field): Mutation => (v) => json(Object.fromEntries(Object.entries(v).filter(([k]) => k !== field)))),
    fc.tuple(fc.constantFrom(...fields), weirdValue).map(([field, value]): Mutation => (v) => json({ ...v, [field]: value })),
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom(...fields)).map(([a, b]): Mutation => (v) => json({ ...v, [a]: v[b] })),
    // A valid text with a control character, a line separator or half a surrogate pair inside.
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u2028', '\ud800'), fc.nat()).map(
      ([field, char, at]): Mutation =>
        (v) => {
          const text = v[field];
          if (typeof text !== 'string') return json({ ...v, [field]: char });
          const i = at % (text.length + 1);
          return json({ ...v, [field]: text.slice(0, i) + char + text.slice(i) });
        },
    ),
    // A duplicated key: JSON.parse keeps the last one.
    fc.tuple(fc.constantFrom(...fields), weirdValue).map(([field, value]): Mutation => (v) => withKeyFirst(field, JSON.stringify(value) ?? 'null', v)),
  );
}

function bodyArbitrary(endpoint: Endpoint): fc.Arbitrary<Body> {
  const valid = endpoint.body
    ? fc.record(endpoint.body.fields, { requiredKeys: endpoint.body.required })
    : fc.constant<Record<string, unknown>>({});
  const takesBody = endpoint.body !== undefined;
  return fc.oneof(
    { weight: takesBody ? 3 : 1, arbitrary: valid.map(json) },
    { weight: takesBody ? 6 : 1, arbitrary: fc.tuple(valid, mutations(Object.keys(endpoint.body?.fields ?? {}))).map(([v, m]) => m(v)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string({ unit: 'binary', maxLength: 100 })).map(raw) },
    { weight: takesBody ? 1 : 6, arbitrary: fc.constant(none) },
  );
}

function queryArbitrary(endpoint: Endpoint): fc.Arbitrary<string> {
  const encode = (pairs: [string, string | undefined][]) => {
    const given = pairs.filter((pair): pair is [string, string] => pair[1] !== undefined);
    return given.length ? `?${new URLSearchParams(given)}` : '';
  };
  const valid = fc.record(endpoint.query ?? {}, { requiredKeys: [] });
  const names = Object.keys(endpoint.query ?? {});
  const broken: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 10 }), weirdQueryValue), { maxLength: 4 }).map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERIES) },
  ];
  if (names.length > 0) {
    broken.push(
      { weight: 4, arbitrary: fc.tuple(valid, fc.constantFrom(...names), weirdQueryValue).map(([q, k, w]) => encode(Object.entries({ ...q, [k]: w }))) },
      { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(...names), weirdQueryValue).map(([q, k, w]) => encode([...Object.entries(q), [k, w]])) },
    );
  }
  return fc.oneof({ weight: names.length > 0 ? 4 : 6, arbitrary: valid.map((q) => encode(Object.entries(q))) }, ...broken);
}

type CredentialVariant =
  | 'none' | 'registered' | 'unregistered' | 'demo' | 'deleted-user' | 'expired' | 'alg-none' | 'tampered'
  | 'lowercase-scheme' | 'no-scheme' | 'extra-spaces' | 'basic-with-token' | 'admin' | 'wrong-admin' | 'admin-for-bearer'
  | { raw: string };

const BAD_CREDENTIALS: CredentialVariant[] = [
  'none', 'unregistered', 'demo', 'deleted-user', 'expired', 'alg-none', 'tampered', 'lowercase-scheme', 'no-scheme',
  'extra-spaces', 'basic-with-token', 'admin', 'wrong-admin', 'admin-for-bearer', 'registered',
];

function credentialArbitrary(endpoint: Endpoint): fc.Arbitrary<CredentialVariant> {
  const valid: CredentialVariant = { none: 'none', user: 'registered', registered: 'registered', optional: 'registered', admin: 'admin' }[
    endpoint.credentials
  ] as CredentialVariant;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(valid) },
    { weight: 4, arbitrary: fc.constantFrom(...BAD_CREDENTIALS) },
    { weight: 1, arbitrary: headerText.map((text) => ({ raw: text })) },
  );
}

type IdVariant =
  | { kind: 'own' | 'other-user' | 'upper' | 'braces' | 'urn' | 'no-hyphens' | 'padded' }
  | { kind: 'uuid' | 'text' | 'raw'; value: string };

const idArbitrary: fc.Arbitrary<IdVariant> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'own' } as IdVariant) },
  { weight: 3, arbitrary: fc.constantFrom<IdVariant>({ kind: 'other-user' }, { kind: 'upper' }, { kind: 'braces' }, { kind: 'urn' }, { kind: 'no-hyphens' }, { kind: 'padded' }) },
  { weight: 2, arbitrary: fc.uuid().map((value): IdVariant => ({ kind: 'uuid', value })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((value): IdVariant => ({ kind: 'text', value })) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..', '.', '%00', '%2F', 'a/b', '%E0%A4%A', 'x'.repeat(2000), '00000000-0000-0000-0000-000000000000').map((value): IdVariant => ({ kind: 'raw', value })) },
);

const contentTypeArbitrary: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'text/plain', 'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml', 'application/jsonx',
      'application/vnd.api+json', '', ';', 'application/json;;;', '*/*', null,
    ),
  },
  { weight: 1, arbitrary: headerText },
);

const extraHeadersArbitrary = fc.record(
  {
    accept: fc.constantFrom('application/json', 'text/csv', '*/*', 'text/html', 'application/xml', ''),
    'if-none-match': fc.oneof(fc.constantFrom('*', '"abc"', 'W/"x", "y"'), headerText),
    'x-forwarded-for': headerText,
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x'),
    origin: fc.constantFrom('https://evil.example', 'null'),
    cookie: headerText,
  },
  { requiredKeys: [] },
);

interface FuzzCase {
  credentials: CredentialVariant;
  contentType: string | null;
  body: Body;
  query: string;
  id: IdVariant | null;
  headers: Record<string, string>;
}

const caseArbitrary = (endpoint: Endpoint): fc.Arbitrary<FuzzCase> =>
  fc.record({
    credentials: credentialArbitrary(endpoint),
    contentType: contentTypeArbitrary,
    body: bodyArbitrary(endpoint),
    query: queryArbitrary(endpoint),
    id: endpoint.id ? idArbitrary : fc.constant(null),
    headers: extraHeadersArbitrary,
  });

// ---- the suite -----------------------------------------------------------------------------------------

describe(`fuzz: generated requests to every endpoint (${backend})`, { timeout: 600_000 }, () => {
  let t: TestAppWithSmtp;
  let feedbackId: string;
  const statuses = new Map<string, Record<string, number>>();
  let eventDays = 0;

  before(async () => {
    console.log(`# fuzz seed: ${SEED} (rerun with FUZZ_SEED=${SEED}), ${RUNS} requests per endpoint`);
    // Google sign-in configured (else it answers 501); the key URLs stay at testEnv's closed local port.
    t = await createTestAppWithSmtp({ env: { ADMIN_PASSWORD, ...DEMO, GOOGLE_CLIENT_ID: 'fuzz-client.apps.googleusercontent.com' } });
    const res = await t.app.inject({ method: 'POST', url: '/feedback', payload: { description: 'a report to patch' }, remoteAddress: uniqueIp() });
    assert.equal(res.statusCode, 201);
    feedbackId = (await t.database.db.selectFrom('feedback').select('id').executeTakeFirstOrThrow()).id;
  });
  after(async () => {
    for (const [endpoint, counts] of statuses) console.log(`# fuzz ${endpoint}: ${JSON.stringify(counts)}`);
    await t?.close();
  });

  const newUser = async (registered: boolean) => {
    const { user, token } = await createRegisteredUser(t, { registered });
    return { user, token };
  };

  /** The Authorization header for a variant, and the user it belongs to (whose rows must not change on a refusal). */
  async function credentials(variant: CredentialVariant): Promise<{ header?: string; user?: User }> {
    if (typeof variant === 'object') return { header: variant.raw };
    switch (variant) {
      case 'none':
        return {};
      case 'admin':
        return { header: basicAuth('admin', ADMIN_PASSWORD) };
      case 'wrong-admin':
        return { header: basicAuth('admin', 'not-the-password') };
      case 'demo': {
        const user = await t.app.services.auth.ensureDemoUser();
        return { header: `Bearer ${(await t.app.services.tokens.issue(user.id)).token}`, user };
      }
    }
    const { user, token } = await newUser(variant !== 'unregistered');
    switch (variant) {
      case 'registered':
      case 'unregistered':
        return { header: `Bearer ${token}`, user };
      case 'deleted-user':
        await t.app.services.accounts.erase(user);
        return { header: `Bearer ${token}` };
      case 'expired': {
        const old = await new TokenService(TEST_SECRETS.SECRET_KEY, new FakeClock('2025-01-01T00:00:00Z')).issue(user.id);
        return { header: `Bearer ${old.token}`, user };
      }
      case 'alg-none': {
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(t.clock.now().getTime() / 1000);
        return { header: `Bearer ${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: user.id, typ: 'access', iat: now, exp: now + 3600 })}.`, user };
      }
      case 'tampered':
        return { header: `Bearer ${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`, user };
      case 'lowercase-scheme':
        return { header: `bearer ${token}`, user };
      case 'no-scheme':
        return { header: token, user };
      case 'extra-spaces':
        return { header: `Bearer   ${token}  `, user };
      case 'basic-with-token':
        return { header: `Basic ${token}`, user };
      case 'admin-for-bearer':
        return { header: basicAuth('admin', ADMIN_PASSWORD), user };
    }
  }

  /** The text that goes where `:id` is, and the record it refers to (whose row must not change on a refusal). */
  async function pathId(variant: IdVariant, endpoint: Endpoint, user: User | undefined): Promise<{ text: string; target?: string }> {
    if (variant.kind === 'uuid' || variant.kind === 'text') return { text: encodeURIComponent(variant.value) };
    if (variant.kind === 'raw') return { text: variant.value };
    let id: string;
    if (endpoint.id === 'feedback-report') {
      id = feedbackId;
    } else {
      const owner = variant.kind === 'other-user' || !user ? (await newUser(true)).user : user;
      // A day of its own each time: the demo user is one user across all runs. Before 2020, where the
      // generated POSTs (2020-01-01 to 2026-03-14) cannot have stored a day and no generated week is finalized.
      const date = new Date(Date.UTC(2010, 0, 1 + eventDays++)).toISOString().slice(0, 10);
      id = await insertWorkEvent(t.database.db, { userId: owner.id, date, createdAt: t.clock.now().toISOString() });
    }
    const text = {
      own: id,
      'other-user': id,
      upper: id.toUpperCase(),
      braces: `{${id}}`,
      urn: `urn:uuid:${id}`,
      'no-hyphens': id.replace(/-/g, ''),
      padded: encodeURIComponent(` ${id} `),
    }[variant.kind];
    return { text, target: id };
  }

  /** What a refused request must leave untouched: table sizes, the user's rows, the targeted record. */
  async function snapshot(userId: string | undefined, target: string | undefined): Promise<string> {
    const { db } = t.database;
    const counts = await sql<Record<string, number | string>>`select ${sql.join(
      DATA_TABLES.map((table) => sql`(select count(*) from ${sql.table(table)}) as ${sql.id(table)}`),
    )}`.execute(db);
    const user = userId ? await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst() : null;
    const events = userId ? await db.selectFrom('work_events').selectAll().where('user_id', '=', userId).orderBy('id').execute() : [];
    const targeted = target
      ? [
          await db.selectFrom('work_events').selectAll().where('id', '=', target).executeTakeFirst(),
          await db.selectFrom('feedback').selectAll().where('id', '=', target).executeTakeFirst(),
        ]
      : [];
    return JSON.stringify({ counts: Object.entries(counts.rows[0]!).map(([k, v]) => [k, Number(v)]), user, events, targeted });
  }

  async function attack(endpoint: Endpoint, c: FuzzCase): Promise<void> {
    const { header, user } = await credentials(c.credentials);
    const id = c.id ? await pathId(c.id, endpoint, user) : null;
    const url = endpoint.path.replace(':id', id?.text ?? '') + c.query;
    const headers: Record<string, string> = { ...c.headers };
    if (header !== undefined) headers.authorization = header;
    if (c.contentType !== null) headers['content-type'] = c.contentType;
    const payload = c.body.kind === 'json' ? JSON.stringify(c.body.value) : c.body.kind === 'raw' ? c.body.text : undefined;

    const before = await snapshot(user?.id, id?.target);
    const res = await t.app.inject({ method: endpoint.method, url, headers, payload, remoteAddress: uniqueIp() });
    const key = `${endpoint.method} ${endpoint.path}`;
    const counts = statuses.get(key) ?? {};
    counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
    statuses.set(key, counts);

    const request = `${endpoint.method} ${url.slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
    assert.ok(res.statusCode < 500, `server error: ${request}`);
    if (res.statusCode < 400) return;
    assert.match(String(res.headers['content-type']), /^application\/json/, `error not JSON: ${request}`);
    const detail = (JSON.parse(res.body) as { detail?: unknown }).detail;
    assert.ok(typeof detail === 'string' && detail.length > 0, `error without a detail: ${request}`);
    assert.equal(await snapshot(user?.id, id?.target), before, `a refused request changed stored data: ${request}`);
  }

  for (const endpoint of ENDPOINTS) {
    test(`${endpoint.method} ${endpoint.path}`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArbitrary(endpoint), (c) => attack(endpoint, c)),
        { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
      );
    });
  }

  test('routes that do not exist', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');
    const path = fc.oneof(
      fc.array(fc.webSegment(), { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
      fc.constantFrom('/auth', '/auth/', '/auth/me/x', '/work-events/a/b', '/admin/nope', '/healthz/', '//', '/%', '/%zz', '/%E0%A4%A', '/..', '/./auth/me'),
    );
    await fc.assert(
      fc.asyncProperty(method, path, contentTypeArbitrary, bodyArbitrary({ method: 'POST', path: '/', credentials: 'none' }), async (m, p, contentType, body) => {
        const headers: Record<string, string> = contentType === null ? {} : { 'content-type': contentType };
        const payload = body.kind === 'json' ? JSON.stringify(body.value) : body.kind === 'raw' ? body.text : undefined;
        const res = await t.app.inject({ method: m as 'GET', url: p, headers, payload, remoteAddress: uniqueIp() });
        const request = `${m} ${p} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.ok(res.statusCode < 500, `server error: ${request}`);
        if (res.statusCode >= 400) assert.equal(typeof (JSON.parse(res.body) as { detail?: unknown }).detail, 'string', request);
      }),
      { numRuns: RUNS * 2, seed: SEED, includeErrorInReport: true },
    );
  });
});
