/**
 * The daily maintenance: one list of jobs (aggregation, purges of expired data) that runs once a day,
 * either from the in-process scheduler or from an external cron through `npm run maintenance` (when
 * AGGREGATION_CRON=off). Both run this same list, so retention never depends on which one an operator
 * chose. Jobs run one after another; a failing job is logged and does not stop the others. Other features
 * join with `register` in `createServices`.
 */
import type { Logger } from './logger.js';

/** Who started the run: recorded with the aggregation run, so the admin page can tell them apart. */
export interface MaintenanceContext {
  trigger: 'schedule' | 'cli';
}

/**
 * A job resolves to the number of rows it deleted (the purges) or to a report with a `message` (the
 * aggregation); that is what `summary` describes. It throws when it failed.
 */
export type MaintenanceJob = (context: MaintenanceContext) => Promise<unknown>;

export interface JobOutcome {
  name: string;
  ok: boolean;
  duration_ms: number;
  result?: unknown;
  /** One line saying what the job did, e.g. "3 rows deleted" (for the CLI's report). */
  summary: string;
  error?: string;
}

export class DailyMaintenance {
  readonly #jobs: { name: string; job: MaintenanceJob }[] = [];

  constructor(private readonly logger: Logger) {}

  register(name: string, job: MaintenanceJob): void {
    this.#jobs.push({ name, job });
  }

  get jobNames(): string[] {
    return this.#jobs.map((j) => j.name);
  }

  async runAll(context: MaintenanceContext = { trigger: 'schedule' }): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    for (const { name, job } of this.#jobs) {
      const started = performance.now();
      try {
        const result = await job(context);
        const outcome = { name, ok: true, duration_ms: Math.round(performance.now() - started), result, summary: summarize(result) };
        this.logger.info({ job: name, duration_ms: outcome.duration_ms }, `daily maintenance: ${name} done`);
        outcomes.push(outcome);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error({ job: name, err: error }, `daily maintenance: ${name} failed`);
        outcomes.push({ name, ok: false, duration_ms: Math.round(performance.now() - started), summary: `failed: ${message}`, error: message });
      }
    }
    return outcomes;
  }
}

function summarize(result: unknown): string {
  if (typeof result === 'number') return `${result} ${result === 1 ? 'row' : 'rows'} deleted`;
  if (typeof result === 'object' && result !== null && 'message' in result && typeof result.message === 'string') return result.message;
  return 'done';
}
