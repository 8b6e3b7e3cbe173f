/**
 * HTTP traffic against a real server process for the load and fault suites: a keep-alive client that
 * records every request's outcome (status, body, transport error, timing) instead of throwing, and a paced
 * driver that sends at a steady rate, like a fleet of phones, rather than as fast as possible.
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** What the test wants to remember about this request (e.g. which user and date it posted). */
  tag?: Record<string, string | number>;
}

export interface Outcome {
  spec: RequestSpec;
  /** HTTP status, or null when no complete response arrived. */
  status: number | null;
  body: string;
  /** Transport failure (reset, refused, timeout, truncated response), null when a response arrived. */
  error: string | null;
  /** `performance.now()` when the request was handed to the socket pool. */
  sentAt: number;
  /** Milliseconds until the response was complete (or the error). */
  ms: number;
}

/** No request may take this long; it is reported as an error, so a hang never blocks a suite. */
const HARD_TIMEOUT_MS = 20_000;

export class Client {
  readonly #agent: http.Agent;
  readonly #url: URL;

  constructor(baseUrl: string, connections = 16) {
    this.#url = new URL(baseUrl);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  send(spec: RequestSpec): Promise<Outcome> {
    const sentAt = performance.now();
    const payload = spec.json === undefined ? undefined : Buffer.from(JSON.stringify(spec.json));
    const headers: Record<string, string> = { ...spec.headers };
    if (payload) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number | null, body: string, error: string | null) => {
        if (settled) return;
        settled = true;
        resolve({ spec, status, body, error, sentAt, ms: performance.now() - sentAt });
      };
      const req = http.request(
        { host: this.#url.hostname, port: this.#url.port, path: spec.path, method: spec.method, headers, agent: this.#agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(res.statusCode ?? null, Buffer.concat(chunks).toString('utf8'), null));
          res.on('error', (error) => done(null, '', `response: ${error.message}`));
          res.on('aborted', () => done(null, '', 'response aborted'));
        },
      );
      req.setTimeout(HARD_TIMEOUT_MS, () => req.destroy(new Error(`no response within ${HARD_TIMEOUT_MS} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => done(null, '', error.code ?? error.message));
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export interface DriveOptions {
  client: Client;
  /** Requests per second, spread evenly. */
  rate: number;
  durationMs: number;
  /** The i-th request to send. */
  next: (i: number) => RequestSpec;
  /**
   * When this many requests are waiting for an answer, a due request is not sent but counted in `skipped`,
   * so a stalled server cannot make the driver pile up an unbounded queue.
   */
  maxInFlight?: number;
  /** Ends the drive early. */
  signal?: AbortSignal;
}

export interface DriveResult {
  outcomes: Outcome[];
  skipped: number;
}

export async function drive(options: DriveOptions): Promise<DriveResult> {
  const { client, rate, durationMs, next, maxInFlight = 64, signal } = options;
  const started = performance.now();
  const pending = new Set<Promise<Outcome>>();
  const outcomes: Outcome[] = [];
  let sent = 0;
  let skipped = 0;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= durationMs || signal?.aborted) break;
    const due = Math.floor((elapsed * rate) / 1000) - sent - skipped;
    for (let k = 0; k < due; k++) {
      if (pending.size >= maxInFlight) {
        skipped++;
        continue;
      }
      const request = client.send(next(sent++));
      pending.add(request);
      void request.then((outcome) => {
        outcomes.push(outcome);
        pending.delete(request);
      });
    }
    await sleep(5);
  }
  await Promise.all(pending);
  return { outcomes, skipped };
}

/**
 * Sends `specs` with at most `concurrency` of them open at once, as fast as the server answers; `onOutcome`
 * sees each outcome as it arrives (e.g. to kill the server in the middle).
 */
export async function burst(
  client: Client,
  specs: RequestSpec[],
  concurrency: number,
  onOutcome?: (outcome: Outcome, answered: number) => void,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let index = 0;
  const worker = async () => {
    while (index < specs.length) {
      const outcome = await client.send(specs[index++]!);
      outcomes.push(outcome);
      onOutcome?.(outcome, outcomes.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

/** Counts outcomes by `status` (or by transport error), e.g. `{ "200": 10, "503": 2, "ECONNRESET": 1 }`. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === null ? String(o.error) : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** One line per distinct failure, for assertion messages that show what went wrong without 10,000 lines. */
export function describeOutcomes(outcomes: Outcome[], limit = 10): string {
  return outcomes
    .slice(0, limit)
    .map((o) => `${o.spec.method} ${o.spec.path} -> ${o.status ?? o.error} ${o.body.slice(0, 200)}`)
    .join('\n');
}

/**
 * A request whose body is still arriving: sends the head and the first half of the JSON body, waits for
 * `release`, then sends the rest. Such a request is in flight at the server for as long as the test wants.
 */
export async function slowRequest(baseUrl: string, spec: RequestSpec, release: Promise<unknown>): Promise<Outcome> {
  const url = new URL(baseUrl);
  const body = JSON.stringify(spec.json ?? {});
  const head =
    `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n` +
    Object.entries(spec.headers ?? {})
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n';
  const sentAt = performance.now();
  const socket = net.connect(Number(url.port), url.hostname);
  let raw = '';
  let error: string | null = null;
  socket.on('data', (chunk) => (raw += chunk));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  await new Promise((resolve) => socket.once('connect', resolve));
  const half = Math.floor(body.length / 2);
  socket.write(head + body.slice(0, half));
  await release;
  socket.write(body.slice(half));
  await closed;
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1];
  const complete = raw.includes('\r\n\r\n');
  return {
    spec,
    status: status && complete ? Number(status) : null,
    body: raw.slice(raw.indexOf('\r\n\r\n') + 4),
    error: status ? null : (error ?? 'no response'),
    sentAt,
    ms: performance.now() - sentAt,
  };
}
