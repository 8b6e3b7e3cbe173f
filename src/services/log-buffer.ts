/**
 * The most recent log records of this process, kept in memory for the admin log viewer (`GET /admin/logs`),
 * so that an operator can look at what just happened without shell access to the host.
 *
 * It is fed the exact lines pino writes to stdout, after redaction, so it can never hold more than the
 * operator's log files already do. Writing costs one array store per line: records are parsed only when
 * somebody reads them, which keeps logging cheap on the hot request path.
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

export class LogBuffer {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(readonly capacity = LOG_BUFFER_CAPACITY) {}

  write(line: string): void {
    const kept = line.length > MAX_LINE_LENGTH ? truncatedRecord(line) : line;
    if (this.lines.length < this.capacity) this.lines.push(kept);
    else this.lines[this.next] = kept;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  query({ level, search, limit = DEFAULT_LOG_LIMIT }: LogQuery = {}): LogRecord[] {
    const minimum = level ? LOG_LEVELS[level] : 0;
    const needle = search?.trim().toLowerCase() || null;
    const max = Math.min(Math.max(1, limit), this.capacity);
    const found: LogRecord[] = [];
    for (let i = 1; i <= this.lines.length && found.length < max; i++) {
      const line = this.lines[(this.next - i + this.capacity) % this.capacity]!;
      if (needle && !line.toLowerCase().includes(needle)) continue;
      const record = parseRecord(line);
      if (LOG_LEVELS[record.level] < minimum) continue;
      found.push(record);
    }
    return found;
  }

  get size(): number {
    return this.lines.length;
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
