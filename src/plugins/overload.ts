/**
 * Admission control: while this process is overloaded, a new request is refused when it arrives, with 503,
 * a `Retry-After` and a `detail` (sent a quarter of a second later, see below), instead of waiting in a queue
 * for seconds (a phone retries anyway, and a quick refusal lets it). Overloaded means one of the configured
 * bounds (SHED_*, src/config.ts) is passed: requests in flight, queries waiting for a PostgreSQL connection,
 * or the event loop's median delay over the last sampling window. The decision is made when a request arrives and never again: an admitted request
 * always finishes. /healthz and /metrics are always served, so a load balancer never mistakes a busy
 * instance for a dead one.
 *
 * The gate sits in front of Fastify, in the HTTP server's request listener (Fastify's `serverFactory`): a
 * refusal is one prepared buffer written; through Fastify it would also make request and reply objects and a
 * child logger, route, run the hooks and serialise. Requests injected without a socket (`app.inject()` in
 * tests) do not pass the gate.
 *
 * A refusal is decided at once but sent after `SHED_REFUSAL_DELAY_MS` (250 ms). A client that ignores
 * `Retry-After` and sends its next request the moment it is refused would otherwise make the refusals
 * themselves the overload: measured at 1,000 such connections, the server answered 30,000 refusals a second
 * and had time for 355 admitted requests a second, each waiting 0.4 s for the event loop. Held refusals cost
 * a timer each, and a connection can be refused at most four times a second; the same worker then admitted
 * 6,700 requests a second with p99 39 ms (docs/performance.md). The request is refused, stores nothing and
 * holds no place among the requests in flight while its answer waits.
 *
 * Written here rather than taken from @fastify/under-pressure, which knows neither the pool's queue nor
 * requests in flight, and answers through Fastify.
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import type { Config } from '../config.js';
import { securityHeaders } from './security.js';

/** How often the event-loop delay is read; the shedding state it gives holds until the next reading. */
export const EVENT_LOOP_SAMPLE_MS = 500;
const EVENT_LOOP_RESOLUTION_MS = 10;
/** Shedding is reported over once no request was refused for this long (at the bound it flips per request). */
const QUIET_MS = 1000;
/** Paths never refused: the load balancer's health check and the metrics that explain the overload. */
const EXEMPT_PATHS = new Set(['/healthz', '/metrics']);

export type ShedReason = 'in_flight' | 'pool_waiting' | 'event_loop_delay';

export const SHED_DETAIL = 'The service is overloaded right now; nothing was stored. Please retry after the time in Retry-After.';

export class OverloadGate {
  private inFlightCount = 0;
  private loopDelayMs = 0;
  private readonly shedCounts: Record<ShedReason, number> = { in_flight: 0, pool_waiting: 0, event_loop_delay: 0 };
  /** When shedding began and when it last refused a request: one warning when it begins, one when it ends. */
  private overloadedSince: number | null = null;
  private lastShedAt = 0;
  private readonly refusal: { headers: Record<string, string | number>; body: Buffer };
  private readonly histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  private sampler: NodeJS.Timeout | null = null;
  private log: Pick<FastifyInstance['log'], 'warn'> | null = null;

  constructor(
    private readonly config: Config,
    private readonly pool: pg.Pool | null,
  ) {
    const body = Buffer.from(JSON.stringify({ detail: SHED_DETAIL }));
    this.refusal = {
      body,
      headers: {
        ...securityHeaders(config),
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
        'retry-after': String(config.overload.retryAfterSeconds),
        'cache-control': 'no-store',
      },
    };
  }

  /** Fastify's `serverFactory`: its own HTTP server, with the gate before its handler. */
  serverFactory = (handler: RequestListener, options: FastifyServerOptions): http.Server => {
    const server = http.createServer((request, response) => {
      if (this.admit(request, response)) handler(request, response);
    });
    // What Fastify sets on the server it makes itself.
    server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
    server.requestTimeout = options.requestTimeout ?? 0;
    return server;
  };

  /** Connects the gate to the app: its logger, the event-loop sampling while it listens, `app.overload`. */
  install(app: FastifyInstance): void {
    this.log = app.log;
    // Measured from the moment the server listens: start-up (compiling, migrating) blocks the loop but is
    // not overload.
    app.addHook('onListen', async () => {
      this.histogram.enable();
      this.sampler = setInterval(() => {
        // The histogram holds the intervals between timer ticks; what exceeds the resolution is delay. The
        // median of the window, not its mean: one long pause (a garbage collection, a big synchronous query
        // on SQLite) is not overload, every tick running late is.
        this.loopDelayMs = Math.max(0, this.histogram.percentile(50) / 1e6 - EVENT_LOOP_RESOLUTION_MS);
        this.histogram.reset();
      }, EVENT_LOOP_SAMPLE_MS);
      this.sampler.unref();
    });
    app.addHook('onClose', async () => {
      if (this.sampler) clearInterval(this.sampler);
      this.histogram.disable();
    });
    app.decorate('overload', {
      inFlight: () => this.inFlight(),
      eventLoopDelayMs: () => this.eventLoopDelayMs(),
      shed: () => this.shed(),
    } satisfies OverloadProtection);
  }

  /** Requests admitted and not yet answered. */
  inFlight(): number {
    return this.inFlightCount;
  }

  /** Median event-loop delay over the last sampling window, in milliseconds. */
  eventLoopDelayMs(): number {
    return this.loopDelayMs;
  }

  /** Requests refused since start, by reason. */
  shed(): Record<ShedReason, number> {
    return { ...this.shedCounts };
  }

  private overloaded(): ShedReason | null {
    const { maxInFlight, maxPoolWaiting, maxEventLoopDelayMs } = this.config.overload;
    if (maxInFlight > 0 && this.inFlightCount >= maxInFlight) return 'in_flight';
    if (maxPoolWaiting > 0 && this.pool && this.pool.waitingCount >= maxPoolWaiting) return 'pool_waiting';
    if (maxEventLoopDelayMs > 0 && this.loopDelayMs >= maxEventLoopDelayMs) return 'event_loop_delay';
    return null;
  }

  /** Lets the request through (true), or answers it 503 (false). */
  private admit(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    if (EXEMPT_PATHS.has(query === -1 ? url : url.slice(0, query))) return true;
    const reason = this.overloaded();
    if (reason === null) {
      if (this.overloadedSince !== null && Date.now() - this.lastShedAt > QUIET_MS) {
        this.log?.warn(
          { shed: this.shed(), overloaded_ms: this.lastShedAt - this.overloadedSince },
          'overload over: admitting every request again',
        );
        this.overloadedSince = null;
      }
      this.inFlightCount++;
      // 'close' comes once per response, whether it was sent or the client went away first.
      response.once('close', () => this.inFlightCount--);
      return true;
    }
    this.shedCounts[reason]++;
    this.lastShedAt = Date.now();
    if (this.overloadedSince === null) {
      this.overloadedSince = this.lastShedAt;
      this.log?.warn(
        {
          reason,
          in_flight: this.inFlightCount,
          pool_waiting: this.pool?.waitingCount ?? null,
          event_loop_delay_ms: Math.round(this.loopDelayMs),
        },
        'overloaded: refusing new requests with 503 until it passes',
      );
    }
    const delayMs = this.config.overload.refusalDelayMs;
    if (delayMs === 0) this.refuse(response);
    else setTimeout(() => this.refuse(response), delayMs);
    return false;
  }

  private refuse(response: ServerResponse): void {
    // The client may have gone away while the refusal was held.
    if (!response.destroyed) response.writeHead(503, this.refusal.headers).end(this.refusal.body);
  }
}

/** The decoration `app.overload`: what the metrics and tests read. */
export type OverloadProtection = Pick<OverloadGate, 'inFlight' | 'eventLoopDelayMs' | 'shed'>;
