/**
 * The most recent log records of this process, kept in memory for the admin log viewer (`GET /admin/logs`),
 * so that an operator can look at what just happened without shell access to the host.
 *
 * It is fed the exact lines pino writes to stdout, after redaction, so it can never hold more than the
 * operator's log files already do. Writing costs one array store per line: records are parsed only when
 * somebody reads them, which keeps logging cheap on the hot request path. Warnings and errors are also
 * kept in a second ring of the same size, so that a flood of ordinary records cannot push them out.
 */

export const LOG_BUFFER_CAPACITY = 1000;
export const DEFAULT_LOG_LIMIT = 200;
/** A single oversized line (a huge error) must not pin megabytes of memory. */
const MAX_LINE_LENGTH = 16 * 1024;

export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

export interface LogRecord {
  /** ISO-8601. */
  time: string;
  level: LogLevelName;
  msg: string;
  /** Everything else pino wrote (request id, request/response summary, error...), minus host and pid. */
  fields: Record<string, unknown>;
}

export interface LogQuery {
  /** Minimum level: `warn` returns warnings, errors and fatal records. */
  level?: LogLevelName;
  /** Case-insensitive text that must occur in the record. */
  search?: string;
  limit?: number;
}

/** What pino's `stream` option needs. */
export interface LogDestination {
  write(line: string): unknown;
}

const LEVEL_NAMES = new Map<number, LogLevelName>(
  Object.entries(LOG_LEVELS).map(([name, value]) => [value, name as LogLevelName]),
);

/** A fixed number of the most recent lines, each with its sequence number (write order across both rings). */
class Ring {
  private readonly entries: { seq: number; line: string }[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  push(seq: number, line: string): void {
    const entry = { seq, line };
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  inOrder(): { seq: number; line: string }[] {
    return this.entries.length < this.capacity ? this.entries : [...this.entries.slice(this.next), ...this.entries.slice(0, this.next)];
  }

  get size(): number {
    return this.entries.length;
  }
}

/** pino writes the level first (`{"level":40,...`); lines that are not pino's count as info. */
const LEADING_LEVEL = /^\{"level":(\d+)/;

export class LogBuffer {
  /** Every record. */
  private readonly recent: Ring;
  /**
   * Warnings and errors again, in a ring of their own: about 500 anonymous requests fill `recent` with
   * their two lines each, and must not push a failed admin login out of the viewer.
   */
  private readonly warnings: Ring;
  private seq = 0;

  constructor(readonly capacity = LOG_BUFFER_CAPACITY) {
    this.recent = new Ring(capacity);
    this.warnings = new Ring(capacity);
  }

  write(line: string): void {
    const kept = line.length > MAX_LINE_LENGTH ? truncatedRecord(line) : line;
    const seq = this.seq++;
    this.recent.push(seq, kept);
    if (Number(LEADING_LEVEL.exec(kept)?.[1] ?? LOG_LEVELS.info) >= LOG_LEVELS.warn) this.warnings.push(seq, kept);
  }

  /** Newest first. */
  query({ level, search, limit = DEFAULT_LOG_LIMIT }: LogQuery = {}): LogRecord[] {
    const minimum = level ? LOG_LEVELS[level] : 0;
    const needle = search?.trim().toLowerCase() || null;
    const max = Math.min(Math.max(1, limit), 2 * this.capacity);
    const lines = this.newestFirst(minimum >= LOG_LEVELS.warn);
    const found: LogRecord[] = [];
    for (const line of lines) {
      if (found.length >= max) break;
      if (needle && !line.toLowerCase().includes(needle)) continue;
      const record = parseRecord(line);
      if (LOG_LEVELS[record.level] < minimum) continue;
      found.push(record);
    }
    return found;
  }

  /** Records held (a warning kept in both rings counts once). */
  get size(): number {
    return this.recent.size + this.warnings.inOrder().filter(({ seq }) => seq < this.oldestRecentSeq()).length;
  }

  /** Both rings merged by write order, newest first; only the warnings ring when nothing below warn is asked for. */
  private newestFirst(warningsOnly: boolean): string[] {
    if (warningsOnly) return this.warnings.inOrder().map(({ line }) => line).reverse();
    const oldestRecent = this.oldestRecentSeq();
    const older = this.warnings.inOrder().filter(({ seq }) => seq < oldestRecent);
    return [...older, ...this.recent.inOrder()].map(({ line }) => line).reverse();
  }

  private oldestRecentSeq(): number {
    return this.recent.inOrder()[0]?.seq ?? this.seq;
  }

  /** A pino destination that writes every line to `out` (stdout for operators) and keeps it here. */
  tee(out: LogDestination): LogDestination {
    return {
      write: (line: string) => {
        out.write(line);
        this.write(line);
      },
    };
  }
}

function parseRecord(line: string): LogRecord {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { time: new Date(0).toISOString(), level: 'info', msg: line.trimEnd(), fields: {} };
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = parsed;
  return {
    time: new Date(typeof time === 'number' || typeof time === 'string' ? time : 0).toISOString(),
    level: LEVEL_NAMES.get(Number(level)) ?? 'info',
    msg: typeof msg === 'string' ? msg : '',
    fields,
  };
}

/** Keeps the level, time and start of the message of an oversized record, as valid JSON. */
function truncatedRecord(line: string): string {
  let level: unknown = LOG_LEVELS.info;
  let time: unknown = Date.now();
  try {
    ({ level, time } = JSON.parse(line) as { level?: unknown; time?: unknown });
  } catch {
    // Not JSON: keep the defaults.
  }
  return JSON.stringify({ level, time, msg: line.slice(0, MAX_LINE_LENGTH), truncated: true }) + '\n';
}
