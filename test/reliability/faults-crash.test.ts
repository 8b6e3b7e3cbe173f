/**
 * Fault: `kill -9` of the server process in the middle of a burst of writes (work events, registrations,
 * first sign-ins, erasures, feedback). After a restart on the same database:
 *
 * - every row is whole: no user with half a registration, no half-erased account, no sign-in that used
 *   its code without creating the user (or the other way round), no work event with a missing field;
 * - everything the crashed process acknowledged is there (SQLite in WAL mode and PostgreSQL alike);
 * - the service serves normally, and the phones' retries of every unanswered request succeed, after which
 *   each submitted day is exactly one row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { normalizeEmail } from '../../src/services/auth.js';
import { systemClock } from '../../src/services/clock.js';
import { createServices } from '../../src/services/index.js';
import { CONSENT, PROFILE, uniqueEmail } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';
import { startServer, type Finished, type RunningServer } from '../helpers/process.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';
import { auth, pastDate, phoneIp, seedUsers, startServiceProcess, workEventRowCounts, type SeededUser, type ServiceProcess } from './fixtures.js';
import { Client, burst, describeOutcomes, tally, type Outcome, type RequestSpec } from './traffic.js';

const KILL_AFTER = 250;
const PROFILE_COLUMNS = ['hospital_id', 'specialty', 'role_level', 'state_code', 'terms_accepted_version', 'privacy_accepted_version', 'consent_accepted_at'] as const;

/** The same order on every run, so that a failure can be replayed: a seeded Fisher–Yates shuffle. */
function shuffle<T>(items: T[], seed = 42): T[] {
  const out = [...items];
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe(`faults: kill -9 during a burst of writes (${backend})`, { timeout: 180_000 }, () => {
  let smtp: TestSmtp;
  let service: ServiceProcess;
  let restarted: RunningServer;
  let crash: Finished;
  let outcomes: Outcome[];
  let workers: SeededUser[];
  let newcomers: SeededUser[];
  let leavers: SeededUser[];
  const signers: { email: string; code: string; emailHash: string }[] = [];

  before(async () => {
    smtp = await startSmtpServer();
    service = await startServiceProcess({ env: smtp.env });
    const { auth: authService } = createServices({ config: service.config, database: service.database, clock: systemClock });
    const hashEmail = (email: string) => authService.hashEmail(normalizeEmail(email));
    workers = await seedUsers(service.database, service.config, 30);
    newcomers = await seedUsers(service.database, service.config, 80, { registered: false });
    leavers = await seedUsers(service.database, service.config, 20);

    const client = new Client(service.server.url, 24);
    try {
      // Leavers have data linked to them, which their erasure must remove whole or not at all.
      const setup: RequestSpec[] = leavers.flatMap((user, u) => [
        ...Array.from({ length: 5 }, (_, d): RequestSpec => ({
          method: 'POST',
          path: '/work-events',
          headers: auth(user),
          json: { date: pastDate(d), planned_minutes: 480, actual_minutes: 480 + u },
        })),
        { method: 'POST', path: '/feedback', headers: { ...auth(user), 'x-forwarded-for': phoneIp() }, json: { description: 'linked report' } },
      ]);
      // First sign-ins: codes requested now, redeemed during the burst.
      for (let i = 0; i < 40; i++) {
        const email = uniqueEmail('crash');
        signers.push({ email, code: '', emailHash: hashEmail(email) });
        setup.push({ method: 'POST', path: '/auth/request-code', headers: { 'x-forwarded-for': phoneIp() }, json: { email } });
      }
      const prepared = await burst(client, setup, 8);
      assert.deepEqual(tally(prepared), { '201': 120, '202': 40 });
      for (const signer of signers) signer.code = smtp.lastCodeFor(signer.email);

      const writes: RequestSpec[] = [
        ...Array.from({ length: 600 }, (_, k): RequestSpec => {
          const user = workers[k % workers.length]!;
          const date = pastDate(Math.floor(k / workers.length));
          return {
            method: 'POST',
            path: '/work-events',
            headers: auth(user),
            json: { date, planned_minutes: 480, actual_minutes: 400 + (k % 500) },
            tag: { kind: 'event', user: user.userId, date },
          };
        }),
        ...newcomers.map((user, i): RequestSpec => ({
          method: 'POST',
          path: '/auth/register',
          headers: auth(user),
          json: { ...PROFILE, hospital_id: `hospital-${i}`, ...CONSENT },
          tag: { kind: 'register', user: user.userId },
        })),
        ...leavers.map((user): RequestSpec => ({ method: 'DELETE', path: '/auth/me', headers: auth(user), tag: { kind: 'erase', user: user.userId } })),
        ...signers.map((s, i): RequestSpec => ({
          method: 'POST',
          path: '/auth/verify',
          headers: { 'x-forwarded-for': phoneIp() },
          json: { email: s.email, code: s.code },
          tag: { kind: 'verify', signer: i },
        })),
        ...Array.from({ length: 80 }, (_, i): RequestSpec => ({
          method: 'POST',
          path: '/feedback',
          headers: { ...(i % 2 ? auth(workers[i % workers.length]!) : {}), 'x-forwarded-for': phoneIp() },
          json: { description: `crash report ${i}`, app_state: { i } },
          tag: { kind: 'feedback' },
        })),
      ];
      let killed: Promise<Finished> | null = null;
      outcomes = await burst(client, shuffle(writes), 24, (_outcome, answered) => {
        if (answered === KILL_AFTER) killed = service.server.stop('SIGKILL');
      });
      crash = await killed!;
    } finally {
      client.close();
    }
    console.log(`# kill -9 (${backend}): ${JSON.stringify(tally(outcomes))}`);
    restarted = await startServer(service.env);
  });
  after(async () => {
    await restarted?.stop('SIGKILL');
    await service?.close();
    await smtp?.close();
  });

  const answered = (kind: string, status: number) => outcomes.filter((o) => o.spec.tag!.kind === kind && o.status === status);

  test('the process was killed in the middle of the burst', () => {
    assert.equal(crash.code, null, 'killed by a signal, not exited');
    const unanswered = outcomes.filter((o) => o.status === null).length;
    assert.ok(outcomes.length - unanswered >= KILL_AFTER && unanswered > 0, `${unanswered} of ${outcomes.length} unanswered`);
  });

  test('no user with half a registration; every acknowledged registration is whole', async () => {
    const users = await service.database.db.selectFrom('users').selectAll().execute();
    const half = users.filter((u) => {
      const set = PROFILE_COLUMNS.filter((c) => u[c] !== null).length;
      return set !== 0 && set !== PROFILE_COLUMNS.length;
    });
    assert.deepEqual(half, []);
    const byId = new Map(users.map((u) => [u.id, u]));
    for (const o of answered('register', 200)) {
      const user = byId.get(String(o.spec.tag!.user));
      assert.equal(user?.hospital_id, (o.spec.json as { hospital_id: string }).hospital_id);
      assert.equal(user?.terms_accepted_version, CONSENT.terms_version);
    }
  });

  test('erasure: each leaver is wholly there or wholly gone; every acknowledged erasure is complete', async () => {
    const { db } = service.database;
    const erased = new Set(answered('erase', 204).map((o) => String(o.spec.tag!.user)));
    for (const leaver of leavers) {
      const user = await db.selectFrom('users').select('id').where('id', '=', leaver.userId).executeTakeFirst();
      const events = await db.selectFrom('work_events').select('id').where('user_id', '=', leaver.userId).execute();
      const reports = await db.selectFrom('feedback').select('id').where('user_id', '=', leaver.userId).execute();
      const state = [Boolean(user), events.length, reports.length];
      assert.ok(
        JSON.stringify(state) === JSON.stringify([true, 5, 1]) || JSON.stringify(state) === JSON.stringify([false, 0, 0]),
        `leaver ${leaver.userId}: ${JSON.stringify(state)}`,
      );
      if (erased.has(leaver.userId)) assert.equal(user, undefined, 'acknowledged erasure undone');
    }
  });

  test('first sign-in: the code is used up exactly when the user exists', async () => {
    const { db } = service.database;
    const verified = new Set(answered('verify', 200).map((o) => Number(o.spec.tag!.signer)));
    for (const [i, signer] of signers.entries()) {
      const user = await db.selectFrom('users').select('id').where('email_hash', '=', signer.emailHash).executeTakeFirst();
      const code = await db.selectFrom('verification_codes').select('id').where('email_hash', '=', signer.emailHash).executeTakeFirst();
      assert.notEqual(Boolean(user), Boolean(code), `signer ${i}: user ${Boolean(user)}, code ${Boolean(code)}`);
      if (verified.has(i)) assert.ok(user, `signer ${i}: acknowledged sign-in lost`);
    }
  });

  test('work events: no missing field, one row per day, every acknowledged one stored with its minutes', async () => {
    const rows = await service.database.db.selectFrom('work_events').selectAll().execute();
    const broken = rows.filter(
      (r) =>
        Object.values(r).some((v) => v === null) ||
        !Number.isInteger(r.planned_minutes) ||
        !Number.isInteger(r.actual_minutes) ||
        r.actual_minutes < 0 ||
        r.actual_minutes > 1440,
    );
    assert.deepEqual(broken, []);
    const stored = new Map(rows.map((r) => [`${r.user_id} ${r.date}`, r.actual_minutes]));
    assert.equal(stored.size, rows.length, 'one row per (user, date)');
    const lost = answered('event', 201).filter(
      (o) => stored.get(`${o.spec.tag!.user} ${o.spec.tag!.date}`) !== (o.spec.json as { actual_minutes: number }).actual_minutes,
    );
    assert.deepEqual(lost.map((o) => o.spec.tag), []);
  });

  test('feedback: every acknowledged report is stored whole', async () => {
    const reports = await service.database.db.selectFrom('feedback').selectAll().execute();
    const crashReports = reports.filter((r) => r.description.startsWith('crash report'));
    assert.ok(crashReports.length >= answered('feedback', 201).length);
    assert.ok(crashReports.length <= 80);
    for (const r of crashReports) {
      assert.ok(r.created_at && r.updated_at && r.status === 'new', JSON.stringify(r));
      assert.notEqual(r.app_state, null);
    }
  });

  test('after the restart the service serves normally and every retry of an unanswered request succeeds', async () => {
    const client = new Client(restarted.url, 8);
    try {
      assert.equal((await client.send({ method: 'GET', path: '/healthz' })).status, 200);
      assert.equal((await client.send({ method: 'GET', path: '/auth/me', headers: auth(workers[0]!) })).status, 200);
      const unanswered = outcomes.filter((o) => o.status === null).map((o) => o.spec);
      const retried = await burst(client, unanswered, 8);
      // What a retry may answer when the crashed attempt had in fact been applied: the stored day (200), an
      // account already erased (401), a code already used (401).
      const acceptable: Record<string, number[]> = { event: [200, 201], register: [200], erase: [204, 401], verify: [200, 401], feedback: [201] };
      const failed = retried.filter((o) => !acceptable[String(o.spec.tag!.kind)]!.includes(o.status!));
      assert.equal(failed.length, 0, describeOutcomes(failed));
      for (const o of retried.filter((o) => o.spec.tag!.kind === 'verify' && o.status === 401)) {
        const signer = signers[Number(o.spec.tag!.signer)]!;
        const user = await service.database.db.selectFrom('users').select('id').where('email_hash', '=', signer.emailHash).executeTakeFirst();
        assert.ok(user, 'a code may only be gone because its sign-in happened');
      }
    } finally {
      client.close();
    }
    const rows = await workEventRowCounts(service.database);
    const days = outcomes.filter((o) => o.spec.tag!.kind === 'event');
    assert.ok(days.every((o) => rows.get(`${o.spec.tag!.user} ${o.spec.tag!.date}`) === 1), 'each submitted day is exactly one row');
    const { code } = await restarted.stop('SIGTERM');
    assert.equal(code, 0);
  });
});
