/**
 * `npm run bench`: builds the service, seeds a fresh database with realistic data, then starts the
 * production server (NODE_ENV=production, dist/) by each documented start path and worker count in turn and
 * drives it with autocannon scenario by scenario: the throughput scenarios at 50 connections, then overload
 * at 1,000 connections (what is admitted, what is refused with 503, and whether the database agrees).
 * Finally it times the aggregation of a large month and writes bench/results/latest.{json,md}.
 *
 * Runs (each a fresh server on the same database):
 *   node dist/server.js with WEB_CONCURRENCY=1, then =2 (`--workers`), and npm start with one worker.
 *
 * Options:
 *   --quick            short scenarios (3 s) and a smaller aggregation (10,000 users)
 *   --sqlite           run the server on SQLite instead of PostgreSQL (one worker only)
 *   --duration N       seconds per scenario (default 10)
 *   --connections N    concurrent connections of the throughput scenarios (default 50)
 *   --only a,b         run only these scenarios (throughput or overload, by name)
 *   --workers 1,2      the worker counts to run `node dist/server.js` with (default 1,2)
 *   --no-npm           skip the `npm start` run
 *   --no-overload      skip the 1,000-connection scenarios
 *   --no-build         reuse the existing dist/
 *   --no-aggregation   skip the aggregation timing
 *   --profile          run the server under `node --cpu-prof`; profiles go to bench/results/profiles/
 * BENCH_DATABASE_URL names the PostgreSQL server to create bench databases on
 * (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/index.js';
import { OVERLOAD_SCENARIOS, SCENARIOS, type OverloadScenario, type Scenario } from './scenarios.js';
import { seed, type Seeded } from './seed.js';
import { BENCH_ENV, startBenchServer, type BenchServer, type StartPath } from './server.js';
import { BENCH_DATABASE_URL, createBenchDatabase, type BenchDatabase } from './database.js';
import { benchAggregation, type AggregationBenchResult } from './aggregation.js';
import { drive, type Answer, type ClientKind } from './clients.js';
import { coresUsed, cpuSnapshot } from './cpu.js';
import type { MemoryReading } from './processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Options {
  quick: boolean;
  sqlite: boolean;
  duration: number;
  connections: number;
  only: string[] | null;
  workers: number[];
  npm: boolean;
  overload: boolean;
  build: boolean;
  aggregation: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    quick: false,
    sqlite: false,
    duration: 10,
    connections: 50,
    only: null,
    workers: [1, 2],
    npm: true,
    overload: true,
    build: true,
    aggregation: true,
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--sqlite') options.sqlite = true;
    else if (arg === '--duration') options.duration = Number(value());
    else if (arg === '--connections') options.connections = Number(value());
    else if (arg === '--only') options.only = value().split(',');
    else if (arg === '--workers') options.workers = value().split(',').map(Number);
    else if (arg === '--no-npm') options.npm = false;
    else if (arg === '--no-overload') options.overload = false;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--no-aggregation') options.aggregation = false;
    else if (arg === '--profile') options.profile = true;
    else throw new Error(`unknown option ${arg}`);
  }
  if (options.quick && !argv.includes('--duration')) options.duration = 3;
  // SQLite runs one worker (src/config.ts).
  if (options.sqlite) options.workers = [1];
  return options;
}

export interface ScenarioResult {
  scenario: string;
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** The highest readings while the scenario ran (sampled every half second). */
  memory: MemoryReading;
  /** Average CPU cores used by each party while the scenario ran (the machine has os.cpus().length). */
  cores: { server: number; postgres: number; loadGenerator: number };
}

export interface OverloadResult {
  scenario: string;
  client: ClientKind;
  connections: number;
  /** Answers per second, admitted and refused together. */
  answersPerSecond: number;
  admitted: number;
  admittedPerSecond: number;
  shed: number;
  /** Answers other than 2xx and 503 (there should be none). */
  other: number;
  p50AdmittedMs: number;
  p90AdmittedMs: number;
  p99AdmittedMs: number;
  /**
   * p99 of the admitted requests that were not the first of their connection: a first request also waits
   * for its connection to be opened and accepted, and the 1,000 connections open in the same millisecond
   * (with several workers the primary hands them over one by one, each when a worker's event loop takes it).
   */
  p99AdmittedSteadyMs: number;
  p99ShedMs: number;
  maxAdmittedMs: number;
  /** Socket errors and timeouts: requests that got no answer while the run lasted. */
  errors: number;
  /** POST only: what the database holds for the answered (user, day) pairs. */
  storage: { created: number; createdStored: number; shed: number; shedStored: number } | null;
  memory: MemoryReading;
  cores: { server: number; postgres: number; loadGenerator: number };
}

export interface RunResult {
  path: StartPath;
  workers: number;
  scenarios: ScenarioResult[];
  overload: OverloadResult[];
  peak: { serverPeakRssMb: number; primaryPeakRssMb: number | null };
  shutdownExitCode: number | null;
}

const highest = (a: MemoryReading, b: MemoryReading): MemoryReading => ({
  serverRssMb: Math.max(a.serverRssMb, b.serverRssMb),
  treeRssMb: Math.max(a.treeRssMb, b.treeRssMb),
  treePssMb: Math.max(a.treePssMb, b.treePssMb),
  processes: Math.max(a.processes, b.processes),
});

/** Runs `work` while reading the server's memory and CPU. */
async function measured<T>(server: BenchServer, work: () => Promise<T>) {
  const before = cpuSnapshot(server.pid);
  let memory = server.memory();
  const sampler = setInterval(() => (memory = highest(memory, server.memory())), 500);
  try {
    const result = await work();
    memory = highest(memory, server.memory());
    return { result, memory, cores: coresUsed(before, cpuSnapshot(server.pid)) };
  } finally {
    clearInterval(sampler);
  }
}

async function runScenario(scenario: Scenario, server: BenchServer, seeded: Seeded, options: Options): Promise<ScenarioResult> {
  const { result, memory, cores } = await measured(server, () =>
    autocannon({
      url: server.url,
      connections: scenario.connections ?? options.connections,
      duration: options.duration,
      requests: scenario.requests(seeded),
    }),
  );
  // 304 answers to conditional requests are successes, not errors.
  const non2xx = result.non2xx - (result.statusCodeStats?.['304' as keyof typeof result.statusCodeStats]?.count ?? 0);
  return {
    scenario: scenario.name,
    target: scenario.target,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx,
    errors: result.errors + result.timeouts,
    memory,
    cores,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
}

const CLIENT_KINDS: ClientKind[] = ['retry at once', 'honour Retry-After'];

async function runOverload(
  scenario: OverloadScenario,
  client: ClientKind,
  server: BenchServer,
  seeded: Seeded,
  database: BenchDatabase,
  options: Options,
): Promise<OverloadResult> {
  const { result, memory, cores } = await measured(server, () =>
    drive(client, server.url, scenario.connections, options.duration, scenario.requests(seeded)),
  );
  const ms = (answers: Answer[]) => answers.map((a) => a.ms).sort((a, b) => a - b);
  const ok = result.answers.filter((a) => a.status >= 200 && a.status < 300);
  const refused = result.answers.filter((a) => a.status === 503);
  const admitted = ms(ok);
  const shed = ms(refused);
  const admittedSteady = ms(ok.filter((a) => !a.first));

  let storage: OverloadResult['storage'] = null;
  const written = result.answers.filter((a) => a.key !== undefined);
  if (written.length > 0) {
    // Every (user, day) pair is used once in the whole benchmark, so a row for it can only come from this request.
    const config = loadConfig({ ...server.env, DATABASE_URL: database.url });
    const db = openDatabase(config.database);
    try {
      const rows = await db.db.selectFrom('work_events').select(['user_id', 'date']).where('date', '<', seeded.firstSeededDate).execute();
      const stored = new Set(rows.map((r) => `${r.user_id} ${r.date}`));
      const created = written.filter((a) => a.status === 201);
      const refusedWrites = written.filter((a) => a.status === 503);
      storage = {
        created: created.length,
        createdStored: created.filter((a) => stored.has(a.key!)).length,
        shed: refusedWrites.length,
        shedStored: refusedWrites.filter((a) => stored.has(a.key!)).length,
      };
    } finally {
      await db.destroy();
    }
  }
  const seconds = options.duration;
  return {
    scenario: scenario.name,
    client,
    connections: scenario.connections,
    answersPerSecond: Math.round(result.answers.length / seconds),
    admitted: admitted.length,
    admittedPerSecond: Math.round(admitted.length / seconds),
    shed: shed.length,
    other: result.answers.length - admitted.length - shed.length,
    p50AdmittedMs: percentile(admitted, 50),
    p90AdmittedMs: percentile(admitted, 90),
    p99AdmittedMs: percentile(admitted, 99),
    p99AdmittedSteadyMs: percentile(admittedSteady, 99),
    p99ShedMs: percentile(shed, 99),
    maxAdmittedMs: percentile(admitted, 100),
    errors: result.errors,
    storage,
    memory,
    cores,
  };
}

const memoryCell = (m: MemoryReading) => `${m.serverRssMb} / ${m.treeRssMb} / ${m.treePssMb}`;
const coresCell = (c: ScenarioResult['cores']) => `${c.server} / ${c.postgres} / ${c.loadGenerator}`;
const runName = (run: RunResult) => `\`${run.path}\`, ${run.workers} worker${run.workers > 1 ? 's' : ''}`;

function scenarioTable(results: ScenarioResult[]): string {
  return [
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | memory MB: largest server process RSS / whole tree RSS / whole tree PSS | CPU cores: server / PostgreSQL / load generator | target |',
    '|---|---:|---:|---:|---:|---:|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} | ${r.errors} | ${memoryCell(r.memory)} | ` +
        `${coresCell(r.cores)} | ${r.target} |`,
    ),
  ].join('\n');
}

function overloadTable(runs: RunResult[]): string {
  return [
    `| run | scenario | clients | answers/s | admitted (2xx) | refused (503) | other | p50 / p90 / p99 / max admitted ms | p99 admitted, not first on its connection | p99 refused ms | errors | 201s stored | 503s that stored | memory MB (as above) | CPU cores |`,
    '|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---|---|',
    ...runs.flatMap((run) =>
      run.overload.map(
        (o) =>
          `| ${runName(run)} | ${o.scenario} | ${o.client} | ${o.answersPerSecond} | ${o.admitted} (${o.admittedPerSecond}/s) | ${o.shed} | ${o.other} | ` +
          `${o.p50AdmittedMs} / ${o.p90AdmittedMs} / ${o.p99AdmittedMs} / ${o.maxAdmittedMs} | ${o.p99AdmittedSteadyMs} | ${o.p99ShedMs} | ${o.errors} | ` +
          `${o.storage ? `${o.storage.createdStored} of ${o.storage.created}` : '—'} | ${o.storage ? o.storage.shedStored : '—'} | ` +
          `${memoryCell(o.memory)} | ${coresCell(o.cores)} |`,
      ),
    ),
  ].join('\n');
}

/** Requests per second of `node dist/server.js` with each worker count, side by side. */
function workersTable(runs: RunResult[]): string {
  const nodeRuns = runs.filter((run) => run.path === 'node dist/server.js');
  if (nodeRuns.length < 2) return '';
  const names = nodeRuns[0]!.scenarios.map((s) => s.scenario);
  const base = nodeRuns[0]!;
  return [
    `| scenario | ${nodeRuns.map((r) => `${r.workers} worker(s): req/s, p99 ms`).join(' | ')} | ${nodeRuns.slice(1).map((r) => `${r.workers} vs ${base.workers}`).join(' | ')} |`,
    `|---|${nodeRuns.map(() => '---:').join('|')}|${nodeRuns.slice(1).map(() => '---:').join('|')}|`,
    ...names.map((name) => {
      const cells = nodeRuns.map((run) => run.scenarios.find((s) => s.scenario === name));
      const first = cells[0]?.requestsPerSecond ?? 0;
      return (
        `| ${name} | ${cells.map((c) => (c ? `${c.requestsPerSecond}, ${c.p99Ms}` : '—')).join(' | ')} | ` +
        `${cells
          .slice(1)
          .map((c) => (c && first ? `${(c.requestsPerSecond / first).toFixed(2)}×` : '—'))
          .join(' | ')} |`
      );
    }),
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) {
    process.stdout.write('building dist/ ...\n');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const database = await createBenchDatabase(options.sqlite ? 'sqlite' : 'postgres');
  let server: BenchServer | null = null;
  try {
    process.stdout.write(`seeding a fresh ${database.dialect} database ...\n`);
    const seeded = await seed(database, { ...BENCH_ENV, DATABASE_URL: database.url });
    process.stdout.write(`seeded ${seeded.users.length} users, ${seeded.eventCount} work events, ${seeded.statsRows} published cells\n`);

    const plan: { path: StartPath; workers: number }[] = [
      ...options.workers.map((workers) => ({ path: 'node dist/server.js' as const, workers })),
      ...(options.npm ? [{ path: 'npm start' as const, workers: 1 }] : []),
    ];
    const runs: RunResult[] = [];
    for (const { path: startPath, workers } of plan) {
      const profileDir = path.join(ROOT, 'bench/results/profiles');
      server = await startBenchServer(ROOT, database.url, {
        path: startPath,
        workers,
        nodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      });
      process.stdout.write(`\n${startPath}, WEB_CONCURRENCY=${workers}: ${server.url} on ${database.dialect}\n`);
      const run: RunResult = { path: startPath, workers, scenarios: [], overload: [], peak: server.peak(), shutdownExitCode: null };
      for (const scenario of SCENARIOS) {
        if (options.only && !options.only.includes(scenario.name)) continue;
        process.stdout.write(`running ${scenario.name} for ${options.duration} s ...\n`);
        const r = await runScenario(scenario, server, seeded, options);
        run.scenarios.push(r);
        process.stdout.write(
          `  ${r.requestsPerSecond} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}; ` +
            `memory ${memoryCell(r.memory)} MB; cores ${coresCell(r.cores)}\n`,
        );
      }
      for (const scenario of options.overload ? OVERLOAD_SCENARIOS : []) {
        if (options.only && !options.only.includes(scenario.name)) continue;
        for (const client of CLIENT_KINDS) {
          process.stdout.write(`running ${scenario.name}, clients that ${client}, for ${options.duration} s ...\n`);
          const o = await runOverload(scenario, client, server, seeded, database, options);
          run.overload.push(o);
          process.stdout.write(
            `  ${o.answersPerSecond} answers/s: ${o.admitted} admitted (p50 ${o.p50AdmittedMs} ms, p90 ${o.p90AdmittedMs} ms, p99 ${o.p99AdmittedMs} ms, ` +
              `p99 on established connections ${o.p99AdmittedSteadyMs} ms, max ${o.maxAdmittedMs} ms), ` +
              `${o.shed} refused (p99 ${o.p99ShedMs} ms), ${o.other} other, ${o.errors} errors` +
              (o.storage ? `; ${o.storage.createdStored} of ${o.storage.created} 201s stored, ${o.storage.shedStored} of ${o.storage.shed} 503s stored` : '') +
              `; memory ${memoryCell(o.memory)} MB; cores ${coresCell(o.cores)}\n`,
          );
        }
      }
      run.peak = server.peak();
      run.shutdownExitCode = (await server.stop()).code;
      server = null;
      runs.push(run);
    }

    let aggregation: AggregationBenchResult | null = null;
    if (options.aggregation && !options.sqlite) {
      const users = options.quick ? 10_000 : 100_000;
      process.stdout.write(`aggregation: seeding ${users} users × 30 days into a fresh PostgreSQL database ...\n`);
      aggregation = await benchAggregation({ serverUrl: BENCH_DATABASE_URL, users, log: () => {} });
    }

    const machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    };
    const report = {
      date: new Date().toISOString(),
      machine,
      database: database.dialect,
      connections: options.connections,
      durationSeconds: options.duration,
      seeded: { users: seeded.users.length, workEvents: seeded.eventCount, statsRows: seeded.statsRows },
      runs,
      aggregation,
    };
    const markdown = [
      `# Benchmark results`,
      '',
      `${report.date} — ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, ${database.dialect}, ` +
        `${options.connections} connections, ${options.duration} s per scenario; load average at the end ${machine.loadAverageAtEnd.join(', ')}.`,
      '',
      `Seeded: ${seeded.users.length} registered users, ${seeded.eventCount} work events, ${seeded.statsRows} published statistics cells.`,
      '',
      'Memory: the highest reading while the scenario ran of the largest server process (the worker, or the single ' +
        'server process), and of the whole process tree the start path creates (npm start: npm, sh, scripts/run.mjs ' +
        'and the server; node dist/server.js: the primary and its workers), as RSS and as PSS (shared pages counted once).',
      ...runs.flatMap((run) => [
        '',
        `## ${runName(run)}`,
        '',
        scenarioTable(run.scenarios),
        '',
        `Peak RSS (VmHWM) of the largest server process: ${run.peak.serverPeakRssMb} MB` +
          (run.peak.primaryPeakRssMb !== null ? `; of the primary: ${run.peak.primaryPeakRssMb} MB` : '') +
          `. Exit code after SIGTERM: ${run.shutdownExitCode}.`,
      ]),
      ...(runs.some((run) => run.overload.length) ? ['', '## Overload: 1,000 connections', '', overloadTable(runs)] : []),
      ...(workersTable(runs) ? ['', '## 1 vs 2 workers (`node dist/server.js`)', '', workersTable(runs)] : []),
      aggregation
        ? `\nAggregation of one month, ${aggregation.users} users × 30 days (${aggregation.events} events) on PostgreSQL: ` +
          `${aggregation.aggregationSeconds.toFixed(2)} s (target < 10 s for 3 million events); ` +
          `${aggregation.cellsPublished} cells published, ${aggregation.cellsSuppressed} suppressed; ` +
          `RSS of the aggregating process ${aggregation.rssBeforeMb} -> ${aggregation.rssAfterMb} MB.`
        : '',
      '',
    ].join('\n');
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(path.join(dir, 'latest.md'), markdown);
    process.stdout.write('\n' + markdown + '\n');
  } finally {
    await server?.stop();
    await database.drop();
  }
}

await main();
