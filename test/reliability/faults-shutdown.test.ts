/**
 * Fault: SIGTERM (a deploy, a scale-down) while a server process is under load. No request in flight
 * fails: every request sent before the signal gets its complete, normal answer, including uploads whose
 * body is still arriving when the signal comes; the process then exits 0 within 10 s, and everything it
 * acknowledged is stored. Requests sent after the signal may be refused (the load balancer sends them
 * elsewhere), but never with a 500. Once with one worker process, and on PostgreSQL once more with three
 * (WEB_CONCURRENCY=3): the primary passes the signal on and exits 0 when all workers have.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Finished } from '../helpers/process.js';
import { backend } from '../helpers/database.js';
import {
  auth,
  countRows,
  pastDate,
  phoneIp,
  seedUsers,
  startServiceProcess,
  waitFor,
  workEventRowCounts,
  type SeededUser,
  type ServiceProcess,
} from './fixtures.js';
import { Client, describeOutcomes, drive, slowRequest, tally, type Outcome, type RequestSpec } from './traffic.js';

const RATE = 200;
const SLOW_UPLOADS = 4;

function traffic(users: SeededUser[]) {
  return (i: number): RequestSpec => {
    const user = users[i % users.length]!;
    switch (i % 6) {
      case 0:
        return { method: 'GET', path: '/auth/me', headers: auth(user) };
      case 1:
      case 2: {
        const date = pastDate(i);
        return {
          method: 'POST',
          path: '/work-events',
          headers: auth(user),
          json: { date, planned_minutes: 480, actual_minutes: 510 },
          tag: { user: user.userId, date },
        };
      }
      case 3:
        return { method: 'GET', path: '/work-events?limit=60', headers: auth(user) };
      case 4:
        return { method: 'GET', path: '/healthz' };
      default:
        return { method: 'POST', path: '/feedback', headers: { 'x-forwarded-for': phoneIp() }, json: { description: `report ${i}` } };
    }
  };
}

/** What a client may see for a request sent after the signal: the port closed, or the connection closed. */
const REFUSED = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up'];

function shutdownUnderLoad(label: string, env: Record<string, string>, options: { skip?: string | false } = {}) {
  describe(`faults: SIGTERM during load, ${label} (${backend})`, { timeout: 120_000, skip: options.skip }, () => {
    let service: ServiceProcess;
    let outcomes: Outcome[];
    let slow: Outcome[];
    let signalAt: number;
    let exit: Finished;
    let exitMs: number;

    before(async () => {
      service = await startServiceProcess({ env });
      if (env.WEB_CONCURRENCY) await waitFor(async () => service.server.output().includes(`all ${env.WEB_CONCURRENCY} worker(s) serving`), 30_000);
      const users = await seedUsers(service.database, service.config, 20);
      const uploaders = await seedUsers(service.database, service.config, SLOW_UPLOADS);
      const client = new Client(service.server.url, 16);
      const stop = new AbortController();
      try {
        const driving = drive({ client, rate: RATE, durationMs: 30_000, next: traffic(users), signal: stop.signal });
        await sleep(2500);
        let released!: () => void;
        const release = new Promise<void>((resolve) => (released = resolve));
        const uploads = Array.from({ length: SLOW_UPLOADS }, (_, k) => {
          const user = uploaders[k]!;
          const date = pastDate(k);
          const spec: RequestSpec = {
            method: 'POST',
            path: '/work-events',
            headers: auth(user),
            json: { date, planned_minutes: 480, actual_minutes: 600 },
            tag: { user: user.userId, date },
          };
          return slowRequest(service.server.url, spec, release);
        });
        await sleep(500);
        signalAt = performance.now();
        const exited = service.server.stop('SIGTERM').then((finished) => {
          exitMs = performance.now() - signalAt;
          return finished;
        });
        // The rest of the slow bodies arrives well after the signal.
        await sleep(300);
        released();
        await sleep(1500);
        stop.abort();
        outcomes = (await driving).outcomes;
        slow = await Promise.all(uploads);
        exit = await exited;
      } finally {
        client.close();
      }
      const beforeSignal = outcomes.filter((o) => o.sentAt < signalAt);
      console.log(
        `# SIGTERM (${backend}): exit ${exit.code} after ${exitMs.toFixed(0)} ms; before the signal ${JSON.stringify(tally(beforeSignal))}, ` +
          `after ${JSON.stringify(tally(outcomes.filter((o) => o.sentAt >= signalAt)))}`,
      );
    });
    after(async () => service?.close());

    test('the process exits 0 within 10 s of the signal', () => {
      assert.equal(exit.code, 0, exit.stderr.slice(-2000));
      assert.ok(exitMs < 10_000, `exited after ${exitMs.toFixed(0)} ms`);
      assert.match(exit.stdout, /shutdown complete/);
    });

    test('every request sent before the signal got its complete, normal answer', () => {
      const beforeSignal = outcomes.filter((o) => o.sentAt < signalAt);
      assert.ok(beforeSignal.length >= RATE, `only ${beforeSignal.length} requests before the signal`);
      const failed = beforeSignal.filter((o) => o.status === null || o.status >= 500);
      assert.equal(failed.length, 0, `${failed.length} failed:\n${describeOutcomes(failed)}`);
      const unexpected = beforeSignal.filter((o) => o.status !== 200 && o.status !== 201);
      assert.equal(unexpected.length, 0, describeOutcomes(unexpected));
    });

    test('uploads still arriving when the signal came were completed and stored', () => {
      assert.deepEqual(
        slow.map((o) => [o.status, o.error]),
        slow.map(() => [201, null]),
      );
    });

    test('requests sent after the signal are refused cleanly, never with a 500', () => {
      const afterSignal = outcomes.filter((o) => o.sentAt >= signalAt);
      const bad = afterSignal.filter((o) => (o.status === null ? !REFUSED.includes(o.error!) : o.status >= 500 && o.status !== 503));
      assert.equal(bad.length, 0, describeOutcomes(bad));
    });

    test('everything acknowledged is stored', async () => {
      const rows = await workEventRowCounts(service.database);
      const acknowledged = [...outcomes, ...slow].filter((o) => o.spec.path === '/work-events' && o.spec.method === 'POST' && o.status === 201);
      const lost = acknowledged.filter((o) => rows.get(`${o.spec.tag!.user} ${o.spec.tag!.date}`) !== 1);
      assert.deepEqual(lost.map((o) => o.spec.tag), []);
      const feedback = outcomes.filter((o) => o.spec.path === '/feedback' && o.status === 201).length;
      assert.equal(await countRows(service.database, 'feedback'), feedback);
    });
  });
}

shutdownUnderLoad('one worker', {});
shutdownUnderLoad('three workers', { WEB_CONCURRENCY: '3' }, { skip: backend === 'sqlite' && 'several workers need PostgreSQL' });
