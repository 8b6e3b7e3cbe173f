/**
 * WEB_CONCURRENCY: one server started as operators start it becomes a primary with worker processes that
 * share the port (node:cluster). Each worker runs with the V8 memory flags, only one of them runs the daily
 * schedule (so a month is published once, by one run, with no run skipped for a concurrent one), the
 * metrics of all workers come back from whichever worker is asked, and a crashed worker is replaced and its
 * schedule with it. Several workers need PostgreSQL: SQLite refuses them (and runs one worker without the
 * flags on the command line).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { MEMORY_FLAGS } from '../../src/process/memory.js';
import { testEnv } from '../helpers/app.js';
import { backend, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runScript, startServer, type RunningServer } from '../helpers/process.js';
import { addCell, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

const ADMIN_PASSWORD = 'workers-admin-password';
const ADMIN = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

/** The pids whose parent is `pid`, with their command lines. */
function children(pid: number): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(ppid) !== pid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.some((arg) => arg.endsWith('server.ts'))) found.push({ pid: Number(entry), argv });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** One request on a connection of its own, so that node:cluster hands it to the next worker in turn. */
function freshConnectionGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe(`one server, one worker (${backend})`, () => {
  let testDb: TestDatabase;
  before(async () => (testDb = await createTestDatabase()));
  after(async () => testDb.drop());

  test('started without the memory flags, it serves from one worker process that has them', async () => {
    const server = await startServer(testEnv(testDb.url, { LOG_LEVEL: 'info', WEB_CONCURRENCY: '1' }));
    try {
      const workers = children(server.child.pid!);
      assert.equal(workers.length, 1);
      for (const flag of MEMORY_FLAGS) assert.ok(workers[0]!.argv.includes(flag), `${flag} in ${workers[0]!.argv.join(' ')}`);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('started with them (as npm start does, through NODE_OPTIONS), it serves in its own process', async () => {
    const server = await startServer(testEnv(testDb.url, { LOG_LEVEL: 'info', NODE_OPTIONS: MEMORY_FLAGS.join(' ') }));
    try {
      assert.deepEqual(children(server.child.pid!), []);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test(
    'warns at start when the workers could open more connections than PostgreSQL allows',
    { skip: backend === 'sqlite' && 'SQLite has no connection pool' },
    async () => {
      const server = await startServer(testEnv(testDb.url, { LOG_LEVEL: 'info', DATABASE_POOL_MAX: '1000' }));
      try {
        assert.match(server.output(), /WEB_CONCURRENCY × DATABASE_POOL_MAX = 1000 connections, too many for PostgreSQL's max_connections/);
      } finally {
        assert.equal((await server.stop()).code, 0);
      }
    },
  );

  test('several workers on SQLite are refused with one clear line', async () => {
    const run = await runScript('src/server.ts', testEnv('sqlite:/tmp/owh-never-created.db', { WEB_CONCURRENCY: '2' }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^ {2}- WEB_CONCURRENCY must be 1 on SQLite \(one writer at a time\), got 2; use PostgreSQL for several workers$/m);
  });
});

describe(`WEB_CONCURRENCY=3 (${backend})`, { skip: backend === 'sqlite' && 'several workers need PostgreSQL' }, () => {
  let testDb: TestDatabase;
  let server: RunningServer;
  let database: Database;
  before(async () => {
    testDb = await createTestDatabase();
    database = openDatabase(testDb.config);
    // Seeded before the start, so that no tick sees half of it. October 2026 is closed (plus grace days) by
    // the time this runs in real time; 45 doctors: at CERTAIN_DISPLAY_ENV's EPSILON their cell is displayed
    // with certainty. The server migrates the fresh database first.
    await migrateToLatest(database.db);
    await addCell(database.db, { period: '2026-10', state_code: 'HH', specialty: 'innere_medizin', users: 45 });
    server = await startServer(
      testEnv(testDb.url, {
        ...CERTAIN_DISPLAY_ENV,
        LOG_LEVEL: 'info',
        WEB_CONCURRENCY: '3',
        ADMIN_PASSWORD,
        // Every 3 seconds, so that the test sees several ticks; a tick of every worker would be 3 runs.
        AGGREGATION_CRON: '*/3 * * * * *',
      }),
      { timeoutMs: 30_000 },
    );
    // /healthz answers once the first worker listens; the others may still be starting.
    await until('all workers serving', async () => /all 3 worker\(s\) serving/.test(server.output()), 30_000);
  });
  after(async () => {
    await server?.stop('SIGKILL');
    await database?.destroy();
    await testDb?.drop();
  });

  test('three worker processes, each started with the memory flags', () => {
    const workers = children(server.child.pid!);
    assert.equal(workers.length, 3);
    for (const worker of workers) for (const flag of MEMORY_FLAGS) assert.ok(worker.argv.includes(flag));
  });

  test('connections are spread over the workers, and the admin log viewer says which worker it shows', async () => {
    const slots = new Set<number>();
    for (let i = 0; i < 12 && slots.size < 3; i++) {
      const res = await freshConnectionGet(`${server.url}/admin/logs?level=info&limit=1`, ADMIN);
      assert.equal(res.status, 200);
      const worker = (JSON.parse(res.body) as { worker: { slot: number; workers: number; pid: number } }).worker;
      assert.equal(worker.workers, 3);
      slots.add(worker.slot);
    }
    assert.deepEqual([...slots].sort(), [1, 2, 3]);
  });

  test('GET /metrics, from whichever worker, counts the requests of all of them', async () => {
    const metrics = () => freshConnectionGet(`${server.url}/metrics`, ADMIN);
    const healthzCount = (body: string) => Number(/^http_requests_total\{method="GET",route="\/healthz",status="200"\} (\d+)$/m.exec(body)?.[1] ?? 0);
    const before = healthzCount((await metrics()).body);
    for (let i = 0; i < 9; i++) assert.equal((await freshConnectionGet(`${server.url}/healthz`)).status, 200);
    for (let i = 0; i < 3; i++) {
      const res = await metrics();
      assert.equal(res.status, 200);
      assert.equal(healthzCount(res.body), before + 9, 'the same total whichever worker answers');
    }
  });

  test('one schedule per machine: one run per tick, the month published once, no run skipped for a concurrent one', async () => {
    const runs = () =>
      database.db.selectFrom('aggregation_runs').select(['status', 'trigger', 'started_at', 'cells_published', 'users_counted']).orderBy('started_at').execute();
    await until('three scheduled runs', async () => (await runs()).length >= 3);
    const seen = await runs();
    assert.ok(seen.every((run) => run.trigger === 'schedule' && run.status === 'success'), JSON.stringify(seen));
    // Ticks are 3 s apart; runs of the same tick would start within a second of each other.
    for (let i = 1; i < seen.length; i++) {
      const gap = Date.parse(seen[i]!.started_at) - Date.parse(seen[i - 1]!.started_at);
      assert.ok(gap > 1500, `two runs ${gap} ms apart: ${JSON.stringify(seen)}`);
    }
    assert.deepEqual(seen.map((run) => Number(run.users_counted)).filter((n) => n > 0), [45], 'the month was published by one run');
    assert.deepEqual(await database.db.selectFrom('stats_periods').select('period').execute(), [{ period: '2026-10' }]);
    const cells = await database.db.selectFrom('stats_releases').select(['state_code', 'department_group']).where('level', '=', 'cell').execute();
    assert.equal(cells.length, seen.reduce((sum, run) => sum + Number(run.cells_published), 0), 'each displayed cell stored once');
    assert.ok(cells.some((cell) => cell.state_code === 'HH' && cell.department_group === 'innere_medizin'));
    const ledger = await database.db.selectFrom('privacy_ledger').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(ledger.n), 45, 'each doctor charged once');
  });

  test('a crashed worker is replaced, and with the one that ran the schedule the schedule moves to its replacement', async () => {
    const scheduling = children(server.child.pid!).find((worker) => worker.pid === schedulerPid());
    assert.ok(scheduling, 'the worker in slot 1 is found');
    process.kill(scheduling.pid, 'SIGKILL');
    await until('a replacement worker', async () => {
      const workers = children(server.child.pid!);
      return workers.length === 3 && !workers.some((worker) => worker.pid === scheduling.pid);
    });
    const killedAt = new Date().toISOString();
    await until('a scheduled run after the crash', async () => {
      const row = await database.db.selectFrom('aggregation_runs').select('id').where('started_at', '>', killedAt).executeTakeFirst();
      return row !== undefined;
    });
    assert.match(server.output(), /worker 1 exited with signal SIGKILL; starting a new one/);
    for (let i = 0; i < 6; i++) assert.equal((await freshConnectionGet(`${server.url}/healthz`)).status, 200);
  });

  /** The pid of the worker that logged the schedule last (only slot 1 does). */
  function schedulerPid(): number {
    const lines = server.output().split('\n').filter((line) => line.includes('daily maintenance scheduled'));
    return (JSON.parse(lines.at(-1)!) as { pid: number }).pid;
  }
});
