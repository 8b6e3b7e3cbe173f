/**
 * Where the machine's CPU time goes during a scenario: the server (every process of its tree: primary and
 * workers, or npm and the server), PostgreSQL (all its processes) and the load generator (this process). On
 * a 2-core box shared by all three, this shows which of them a throughput figure is really limited by.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { processTree } from './processes.js';

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
  /** CPU seconds per process of the server's tree. */
  server: Map<number, number>;
  /** CPU seconds per PostgreSQL process: backends come and go, so they are compared one by one. */
  postgres: Map<number | string, number>;
  loadGenerator: number;
}

export function cpuSnapshot(serverRoot: number): CpuSnapshot {
  const postgres = new Map<number | string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const p = processTicks(pid);
    if (p?.comm === 'postgres') postgres.set(pid, p.ticks / TICKS_PER_SECOND);
  }
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    server: new Map(processTree(serverRoot).map(({ pid }) => [pid, (processTicks(pid)?.ticks ?? 0) / TICKS_PER_SECOND])),
    postgres,
    loadGenerator: (self.user + self.system) / 1e6,
  };
}

/** CPU cores used on average between two snapshots, per party. */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot): { server: number; postgres: number; loadGenerator: number } {
  const seconds = (after.at - before.at) / 1000;
  const cores = (cpuSeconds: number) => Math.round((cpuSeconds / seconds) * 100) / 100;
  // Processes that exited in between are lost either way; new ones count from zero.
  const spent = (b: Map<number | string, number>, a: Map<number | string, number>) => {
    let total = 0;
    for (const [pid, ticks] of a) total += ticks - (b.get(pid) ?? 0);
    return total;
  };
  return {
    server: cores(spent(before.server, after.server)),
    postgres: cores(spent(before.postgres, after.postgres)),
    loadGenerator: cores(after.loadGenerator - before.loadGenerator),
  };
}
