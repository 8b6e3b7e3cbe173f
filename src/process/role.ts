/**
 * Which worker this process is, when src/server.ts runs several (`WEB_CONCURRENCY`). The primary gives each
 * worker a slot, 1..n, through the environment of the fork (an internal variable, not an operator setting);
 * a worker that replaces a crashed one takes over its slot. Slot 1 runs the daily schedule, so one machine
 * runs one schedule however many workers it has.
 */
import cluster from 'node:cluster';

const SLOT_VARIABLE = 'OWH_WORKER_SLOT';

export interface ProcessRole {
  /** 1..workers; 1 for a server that is not clustered. */
  slot: number;
  workers: number;
  /** Whether this process runs the in-process daily schedule (AGGREGATION_CRON). */
  runsSchedule: boolean;
}

export function workerEnvironment(slot: number, workers: number): Record<string, string> {
  return { [SLOT_VARIABLE]: `${slot}/${workers}` };
}

export function currentRole(): ProcessRole {
  const match = cluster.isWorker ? /^(\d+)\/(\d+)$/.exec(process.env[SLOT_VARIABLE] ?? '') : null;
  if (!match) return { slot: 1, workers: 1, runsSchedule: true };
  const slot = Number(match[1]);
  return { slot, workers: Number(match[2]), runsSchedule: slot === 1 };
}
