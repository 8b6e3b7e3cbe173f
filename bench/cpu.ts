/**
 * Where the machine's CPU time goes during a scenario: the server process, PostgreSQL (all its processes)
 * and the load generator (this process). On a 2-core box shared by all three, this shows which of them a
 * throughput figure is really limited by.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processTicks(pid: number | string): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of /proc/PID/stat; fields[] starts at field 3.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

export interface CpuSnapshot {
  at: number;
  server: number;
  /** CPU seconds per PostgreSQL process: backends come and go, so they are compared one by one. */
  postgres: Map<string, number>;
  loadGenerator: number;
}

export function cpuSnapshot(serverPid: number): CpuSnapshot {
  const postgres = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const p = processTicks(pid);
    if (p?.comm === 'postgres') postgres.set(pid, p.ticks / TICKS_PER_SECOND);
  }
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    server: (processTicks(serverPid)?.ticks ?? 0) / TICKS_PER_SECOND,
    postgres,
    loadGenerator: (self.user + self.system) / 1e6,
  };
}

/** CPU cores used on average between two snapshots, per party. */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot): { server: number; postgres: number; loadGenerator: number } {
  const seconds = (after.at - before.at) / 1000;
  const cores = (cpuSeconds: number) => Math.round((cpuSeconds / seconds) * 100) / 100;
  // Processes that exited in between are lost either way; new ones count from zero.
  let postgres = 0;
  for (const [pid, ticks] of after.postgres) postgres += ticks - (before.postgres.get(pid) ?? 0);
  return {
    server: cores(after.server - before.server),
    postgres: cores(postgres),
    loadGenerator: cores(after.loadGenerator - before.loadGenerator),
  };
}
