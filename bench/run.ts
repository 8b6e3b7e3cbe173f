/**
 * `npm run bench`: builds the service, starts the production server (NODE_ENV=production, dist/) against a
 * fresh database, seeds realistic data, drives it with autocannon scenario by scenario, times the
 * aggregation of a large month, and writes bench/results/latest.{json,md}.
 *
 * Options:
 *   --quick            short scenarios (3 s) and a smaller aggregation (10,000 users)
 *   --sqlite           run the server on SQLite instead of PostgreSQL
 *   --duration N       seconds per scenario (default 10)
 *   --connections N    concurrent connections (default 50)
 *   --only a,b         run only these scenarios
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
import { SCENARIOS, type Scenario } from './scenarios.js';
import { seed, type Seeded } from './seed.js';
import { startBenchServer, type BenchServer } from './server.js';
import { BENCH_DATABASE_URL, createBenchDatabase } from './database.js';
import { benchAggregation, type AggregationBenchResult } from './aggregation.js';
import { coresUsed, cpuSnapshot } from './cpu.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Options {
  quick: boolean;
  sqlite: boolean;
  duration: number;
  connections: number;
  only: string[] | null;
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
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--no-aggregation') options.aggregation = false;
    else if (arg === '--profile') options.profile = true;
    else throw new Error(`unknown option ${arg}`);
  }
  if (options.quick && !argv.includes('--duration')) options.duration = 3;
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
  rssMb: number;
  /** Average CPU cores used by each party while the scenario ran (the machine has os.cpus().length). */
  cores: { server: number; postgres: number; loadGenerator: number };
}

async function runScenario(scenario: Scenario, server: BenchServer, seeded: Seeded, options: Options): Promise<ScenarioResult> {
  const before = cpuSnapshot(server.pid);
  const result = await autocannon({
    url: server.url,
    connections: scenario.connections ?? options.connections,
    duration: options.duration,
    requests: scenario.requests(seeded),
  });
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
    rssMb: server.rssMb(),
    cores: coresUsed(before, cpuSnapshot(server.pid)),
  };
}

function table(results: ScenarioResult[]): string {
  const header =
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | RSS MB | CPU cores: server / PostgreSQL / load generator | target |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---|---|\n';
  return (
    header +
    results
      .map(
        (r) =>
          `| ${r.scenario} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} | ${r.errors} | ${r.rssMb} | ` +
          `${r.cores.server} / ${r.cores.postgres} / ${r.cores.loadGenerator} | ${r.target} |`,
      )
      .join('\n')
  );
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
    const profileDir = path.join(ROOT, 'bench/results/profiles');
    server = await startBenchServer(ROOT, database.url, {
      nodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    process.stdout.write(`server ${server.url} on ${database.dialect}; seeding ...\n`);
    const seeded = await seed(database, server);
    process.stdout.write(`seeded ${seeded.users.length} users, ${seeded.eventCount} work events, ${seeded.statsRows} published cells\n`);

    const results: ScenarioResult[] = [];
    for (const scenario of SCENARIOS) {
      if (options.only && !options.only.includes(scenario.name)) continue;
      process.stdout.write(`running ${scenario.name} for ${options.duration} s ...\n`);
      const result = await runScenario(scenario, server, seeded, options);
      results.push(result);
      const { cores } = result;
      process.stdout.write(
        `  ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}; ` +
          `cores: server ${cores.server}, PostgreSQL ${cores.postgres}, load generator ${cores.loadGenerator}\n`,
      );
    }
    const peakRssMb = server.peakRssMb();
    const stop = await server.stop();
    server = null;

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
    };
    const report = {
      date: new Date().toISOString(),
      machine,
      database: database.dialect,
      connections: options.connections,
      durationSeconds: options.duration,
      seeded: { users: seeded.users.length, workEvents: seeded.eventCount, statsRows: seeded.statsRows },
      scenarios: results,
      peakRssMb,
      shutdown: { exitCode: stop.code },
      aggregation,
    };
    const markdown = [
      `# Benchmark results`,
      '',
      `${report.date} — ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, ${database.dialect}, ` +
        `${options.connections} connections, ${options.duration} s per scenario.`,
      '',
      `Seeded: ${seeded.users.length} registered users, ${seeded.eventCount} work events, ${seeded.statsRows} published statistics cells.`,
      '',
      table(results),
      '',
      `Peak RSS of the server process (VmHWM): ${peakRssMb} MB.`,
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
