/**
 * Fault: PostgreSQL goes down (a clean restart, and a crash) and comes back while a server process is under
 * load. Runs on a private
 * cluster (its own data directory and port) so that the shared server other tests use is never touched.
 *
 * - during the outage every request is answered quickly (no request takes 5 s or more) with 503 and a
 *   `detail`, never a 500 and never a dropped connection;
 * - after the database is back the same process serves 2xx again by itself, without a restart;
 * - nothing acknowledged is lost, and the phones' retries of what was refused during the outage succeed.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { backend } from '../helpers/database.js';
import { PgCluster } from '../helpers/pg-cluster.js';
import { auth, pastDate, seedUsers, startServiceProcess, workEventRowCounts, type SeededUser, type ServiceProcess } from './fixtures.js';
import { Client, burst, describeOutcomes, drive, tally, type Outcome, type RequestSpec } from './traffic.js';

const RATE = 100;
const OUTAGE_MS = 4000;
/** Generous: the pool notices a restarted server on its next query; this only bounds a broken recovery. */
const RECOVERY_LIMIT_MS = 15_000;

const skip =
  backend !== 'postgres'
    ? 'PostgreSQL only: SQLite is a file inside the process and cannot be restarted separately'
    : !PgCluster.available()
      ? 'PostgreSQL server binaries (pg_ctl, initdb) are not installed'
      : false;

function traffic(users: SeededUser[]) {
  return (i: number): RequestSpec => {
    const user = users[i % users.length]!;
    switch (i % 5) {
      case 0:
        return { method: 'GET', path: '/auth/me', headers: auth(user) };
      case 1: {
        // Distinct (user, date) pairs: user i % n, day i.
        const date = pastDate(i);
        return {
          method: 'POST',
          path: '/work-events',
          headers: auth(user),
          json: { date, planned_minutes: 480, actual_minutes: 500 },
          tag: { user: user.userId, date },
        };
      }
      case 2:
        return { method: 'GET', path: '/work-events?limit=60', headers: auth(user) };
      case 3:
        return { method: 'GET', path: '/healthz' };
      default:
        return { method: 'PATCH', path: '/auth/me', headers: auth(user), json: { hospital_id: `hospital-${i}` } };
    }
  };
}

const isOk = (o: Outcome) => o.status !== null && o.status >= 200 && o.status < 300;

/**
 * `fast`: a restart for an upgrade (clients disconnected cleanly);
 * `immediate`: a crash (no shutdown checkpoint; PostgreSQL recovers from its WAL).
 */
for (const mode of ['fast', 'immediate'] as const) {
  describe(`faults: PostgreSQL stopped (${mode}) and started again during load (${backend})`, { skip, timeout: 180_000 }, () => {
    let cluster: PgCluster;
    let service: ServiceProcess;
    let users: SeededUser[];
    let outcomes: Outcome[];
    const at = { stopping: 0, stopped: 0, starting: 0, started: 0 };

    before(async () => {
      cluster = await PgCluster.create();
      service = await startServiceProcess({ databaseUrl: await cluster.createDatabase('owh_faults') });
      users = await seedUsers(service.database, service.config, 20);
      const client = new Client(service.server.url, 16);
      const stop = new AbortController();
      try {
        const driving = drive({ client, rate: RATE, durationMs: 60_000, next: traffic(users), signal: stop.signal });
        await sleep(3000);
        at.stopping = performance.now();
        await cluster.stop(mode);
        at.stopped = performance.now();
        await sleep(OUTAGE_MS);
        at.starting = performance.now();
        await cluster.start();
        at.started = performance.now();
        // Long enough to see the recovery and a stretch of normal service after it.
        await sleep(6000);
        stop.abort();
        outcomes = (await driving).outcomes;
        console.log(
          `# database restart (${mode}): ${outcomes.length} requests; stop took ${(at.stopped - at.stopping).toFixed(0)} ms, ` +
            `start ${(at.started - at.starting).toFixed(0)} ms; ${JSON.stringify(tally(outcomes))}`,
        );
      } finally {
        client.close();
      }
    });
    after(async () => {
      await service?.close();
      await cluster?.destroy();
    });

    test('no request hangs: every answer within 5 s, no dropped connection', () => {
      const slow = outcomes.filter((o) => o.error !== null || o.ms >= 5000);
      assert.equal(slow.length, 0, `${slow.length} hung or dropped:\n${describeOutcomes(slow)}\n${slow.map((o) => o.ms.toFixed(0)).join(' ')}`);
    });

    test('the only failure is 503 with a detail (or the degraded health body), never a 500', () => {
      const bad = outcomes.filter((o) => !isOk(o) && o.status !== 503);
      assert.equal(bad.length, 0, `${bad.length} unexpected answers:\n${describeOutcomes(bad)}`);
      for (const o of outcomes.filter((o) => o.status === 503)) {
        const body = JSON.parse(o.body) as Record<string, unknown>;
        if (o.spec.path === '/healthz') assert.deepEqual(body, { status: 'degraded', database: 'unreachable' });
        else assert.equal(typeof body.detail, 'string', o.body);
      }
    });

    test('while the database is down, requests get 503', () => {
      const during = outcomes.filter((o) => o.sentAt > at.stopped + 100 && o.sentAt < at.starting);
      assert.ok(during.length >= (RATE * OUTAGE_MS) / 1000 / 2, `only ${during.length} requests during the outage`);
      const answered = during.filter((o) => o.status !== 503);
      assert.equal(answered.length, 0, `answered without a database:\n${describeOutcomes(answered)}`);
    });

    test('after the database is back, the same process recovers by itself', () => {
      const failures = outcomes.filter((o) => !isOk(o));
      const lastFailure = Math.max(...failures.map((o) => o.sentAt));
      assert.ok(lastFailure - at.started < RECOVERY_LIMIT_MS, `still failing ${(lastFailure - at.started).toFixed(0)} ms after the restart`);
      const afterRecovery = outcomes.filter((o) => o.sentAt > lastFailure);
      assert.ok(afterRecovery.length >= RATE * 2, `only ${afterRecovery.length} requests after the recovery`);
      console.log(`# database restart (${mode}): service healthy ${(lastFailure - at.started).toFixed(0)} ms after PostgreSQL was up`);
    });

    test('no acknowledged work event is lost, and retries of the refused ones succeed', async () => {
      const posts = outcomes.filter((o) => o.spec.path === '/work-events' && o.spec.method === 'POST');
      let rows = await workEventRowCounts(service.database);
      const lost = posts.filter((o) => o.status === 201 && rows.get(`${o.spec.tag!.user} ${o.spec.tag!.date}`) !== 1);
      assert.deepEqual(lost.map((o) => o.spec.tag), []);

      // The phone keeps what was refused and sends it again later: a 201, or a 200 if the row made it after all.
      const client = new Client(service.server.url, 8);
      try {
        const retries = await burst(client, posts.filter((o) => o.status === 503).map((o) => o.spec), 8);
        const failed = retries.filter((o) => o.status !== 201 && o.status !== 200);
        assert.equal(failed.length, 0, describeOutcomes(failed));
      } finally {
        client.close();
      }
      rows = await workEventRowCounts(service.database);
      assert.equal(rows.size, posts.length, 'every submitted day is stored');
      assert.ok([...rows.values()].every((n) => n === 1));
    });
  });
}
