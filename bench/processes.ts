/**
 * What a started server really is on the machine: a process tree (npm, sh, scripts/run.mjs, a primary,
 * worker processes), read from /proc. Memory is reported three ways, because they answer different
 * questions: the RSS of the largest serving process (what one worker needs), the RSS of the whole tree
 * (counts the Node binary's pages once per process, so it overstates), and the PSS of the whole tree
 * (shared pages divided among the processes that share them: what the machine really spends).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
}

function info(pid: number): ProcessInfo | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid, argv };
  } catch {
    return null;
  }
}

/** `root` and every process below it. */
export function processTree(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => info(Number(entry)))
    .filter((p): p is ProcessInfo => p !== null);
  const tree: ProcessInfo[] = [];
  const rootInfo = all.find((p) => p.pid === root);
  if (!rootInfo) return tree;
  const queue = [rootInfo];
  while (queue.length) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...all.filter((p) => p.ppid === next.pid));
  }
  return tree;
}

const isServer = (p: ProcessInfo) => p.argv.some((arg) => /server\.(js|ts)$/.test(arg));

/** The processes that serve requests: server processes with no server process below them. */
export function servingProcesses(tree: ProcessInfo[]): ProcessInfo[] {
  const servers = tree.filter(isServer);
  return servers.filter((p) => !servers.some((child) => child.ppid === p.pid));
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const mb = (kb: number) => Math.round(kb / 1024);

export interface MemoryReading {
  /** RSS of the largest serving process (a worker, or the single server process). */
  serverRssMb: number;
  /** Sum of the RSS of every process of the tree. */
  treeRssMb: number;
  /** Sum of the PSS of every process of the tree. */
  treePssMb: number;
  processes: number;
}

export function memoryNow(root: number): MemoryReading {
  const tree = processTree(root);
  return {
    serverRssMb: mb(Math.max(0, ...servingProcesses(tree).map((p) => statusKb(p.pid, 'VmRSS')))),
    treeRssMb: mb(tree.reduce((sum, p) => sum + statusKb(p.pid, 'VmRSS'), 0)),
    treePssMb: mb(tree.reduce((sum, p) => sum + pssKb(p.pid), 0)),
    processes: tree.length,
  };
}

/** The highest RSS any serving process reached since it started (VmHWM), and that of the whole tree's processes. */
export function peakNow(root: number): { serverPeakRssMb: number; primaryPeakRssMb: number | null } {
  const tree = processTree(root);
  const serving = servingProcesses(tree);
  const primary = tree.find((p) => isServer(p) && !serving.includes(p));
  return {
    serverPeakRssMb: mb(Math.max(0, ...serving.map((p) => statusKb(p.pid, 'VmHWM')))),
    primaryPeakRssMb: primary ? mb(statusKb(primary.pid, 'VmHWM')) : null,
  };
}
