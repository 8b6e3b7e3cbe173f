/**
 * The daily maintenance: one list of jobs (aggregation, purges of expired data) that the scheduler runs
 * once a day. Jobs run one after another; a failing job is logged and does not stop the others. Other
 * features join with `register` in `createServices`.
 */
import type { Logger } from './logger.js';

export type MaintenanceJob = () => Promise<unknown>;

export interface JobOutcome {
  name: string;
  ok: boolean;
  duration_ms: number;
  result?: unknown;
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

  async runAll(): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    for (const { name, job } of this.#jobs) {
      const started = performance.now();
      try {
        const result = await job();
        const outcome = { name, ok: true, duration_ms: Math.round(performance.now() - started), result };
        this.logger.info({ job: name, duration_ms: outcome.duration_ms }, `daily maintenance: ${name} done`);
        outcomes.push(outcome);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error({ job: name, err: error }, `daily maintenance: ${name} failed`);
        outcomes.push({ name, ok: false, duration_ms: Math.round(performance.now() - started), error: message });
      }
    }
    return outcomes;
  }
}
