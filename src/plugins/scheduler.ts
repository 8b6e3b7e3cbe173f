/**
 * The in-process daily maintenance (aggregation, purges) at AGGREGATION_CRON (UTC), or nothing when it is
 * `off` (an external cron then runs the same jobs with `npm run maintenance`). Started when the app is
 * ready, stopped when it closes: closing waits for a run in progress, so it never loses its database
 * mid-transaction. Every server instance (machine) runs the schedule in one process: with several workers
 * only the first does (src/process/role.ts). Instances on several machines all run it; the aggregation's
 * lock lets one of them do the work, and a month is published once (its primary key in stats_periods).
 */
import { Cron } from 'croner';
import type { FastifyInstance } from 'fastify';

export interface Scheduler {
  /** The next scheduled run, or null when the schedule is off or stopped. */
  nextRun(): Date | null;
}

export function installScheduler(app: FastifyInstance): void {
  const expression = app.config.aggregation.cron;
  let job: Cron | null = null;
  let running: Promise<unknown> | null = null;
  app.decorate('scheduler', { nextRun: () => job?.nextRun() ?? null } satisfies Scheduler);
  if (expression === null || !app.role.runsSchedule) return;

  app.addHook('onReady', async () => {
    job = new Cron(
      expression,
      {
        name: 'daily-maintenance',
        timezone: 'UTC',
        // A run that lasts past the next tick is not started twice.
        protect: true,
        catch: (error) => app.log.error({ err: error }, 'daily maintenance crashed'),
      },
      async () => {
        running = app.services.maintenance.runAll();
        try {
          await running;
        } finally {
          running = null;
        }
      },
    );
    app.log.info({ cron: expression, next_run: job.nextRun()?.toISOString() }, 'daily maintenance scheduled (UTC)');
  });

  app.addHook('preClose', async () => {
    job?.stop();
    job = null;
    await running;
  });
}
