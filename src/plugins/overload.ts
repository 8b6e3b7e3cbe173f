/**
 * Admission control: while this process is overloaded, a new request is answered at once with 503, a
 * `Retry-After` and a `detail`, instead of waiting in a queue for seconds (a phone retries anyway, and a
 * fast refusal lets it). Overloaded means one of the configured bounds (SHED_*, src/config.ts) is passed:
 * requests in flight, queries waiting for a PostgreSQL connection, or the event loop's median delay over the
 * last sampling window. The decision is made when a request arrives, before anything else runs (no body
 * read, no token checked, no query), and never again: an admitted request always finishes. Routes marked
 * `exemptFromShedding` (/healthz, /metrics) are always served, so a load balancer never mistakes a busy
 * instance for a dead one.
 *
 * Written here rather than taken from @fastify/under-pressure, which knows neither the pool's queue nor
 * requests in flight and would need the same exemptions and reply around it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';

/** How often the event-loop delay is read; the shedding state it gives holds until the next reading. */
export const EVENT_LOOP_SAMPLE_MS = 500;
const EVENT_LOOP_RESOLUTION_MS = 10;
/** Shedding is reported over once no request was refused for this long (at the bound it flips per request). */
const QUIET_MS = 1000;

export type ShedReason = 'in_flight' | 'pool_waiting' | 'event_loop_delay';

export interface OverloadProtection {
  /** Requests admitted and not yet answered. */
  inFlight(): number;
  /** Median event-loop delay over the last sampling window, in milliseconds. */
  eventLoopDelayMs(): number;
  /** Requests refused since start, by reason. */
  shed(): Record<ShedReason, number>;
}

export const SHED_DETAIL = 'The service is overloaded right now; nothing was stored. Please retry after the time in Retry-After.';

export function installOverloadProtection(app: FastifyInstance): void {
  const { maxInFlight, maxPoolWaiting, maxEventLoopDelayMs, retryAfterSeconds } = app.config.overload;
  const pool = app.database.pool;
  const shed: Record<ShedReason, number> = { in_flight: 0, pool_waiting: 0, event_loop_delay: 0 };
  let inFlight = 0;
  let loopDelayMs = 0;
  /** When shedding began and when it last refused a request: one warning when it begins, one when it ends. */
  let overloadedSince: number | null = null;
  let lastShedAt = 0;

  // Measured from the moment the server listens: start-up (compiling, migrating) blocks the loop but is not
  // overload, and an app driven only through inject() (tests) has no loop delay to speak of.
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  let sampler: NodeJS.Timeout | null = null;
  app.addHook('onListen', async () => {
    histogram.enable();
    sampler = setInterval(() => {
      // The histogram holds the intervals between timer ticks; what exceeds the resolution is delay. The
      // median of the window, not its mean: one long pause (a garbage collection, a big synchronous query
      // on SQLite) is not overload, every tick running late is.
      loopDelayMs = Math.max(0, histogram.percentile(50) / 1e6 - EVENT_LOOP_RESOLUTION_MS);
      histogram.reset();
    }, EVENT_LOOP_SAMPLE_MS);
    sampler.unref();
  });
  app.addHook('onClose', async () => {
    if (sampler) clearInterval(sampler);
    histogram.disable();
  });

  const overloaded = (): ShedReason | null => {
    if (maxInFlight > 0 && inFlight >= maxInFlight) return 'in_flight';
    if (maxPoolWaiting > 0 && pool && pool.waitingCount >= maxPoolWaiting) return 'pool_waiting';
    if (maxEventLoopDelayMs > 0 && loopDelayMs >= maxEventLoopDelayMs) return 'event_loop_delay';
    return null;
  };

  app.decorate('overload', {
    inFlight: () => inFlight,
    eventLoopDelayMs: () => loopDelayMs,
    shed: () => ({ ...shed }),
  } satisfies OverloadProtection);

  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.exemptFromShedding) return done();
    const reason = overloaded();
    if (reason === null) {
      if (overloadedSince !== null && Date.now() - lastShedAt > QUIET_MS) {
        app.log.warn({ shed: { ...shed }, overloaded_ms: lastShedAt - overloadedSince }, 'overload over: admitting every request again');
        overloadedSince = null;
      }
      inFlight++;
      // 'close' comes once per response, whether it was sent or the client went away first.
      reply.raw.once('close', () => inFlight--);
      return done();
    }
    shed[reason]++;
    lastShedAt = Date.now();
    if (overloadedSince === null) {
      overloadedSince = lastShedAt;
      app.log.warn(
        { reason, in_flight: inFlight, pool_waiting: pool?.waitingCount ?? null, event_loop_delay_ms: Math.round(loopDelayMs) },
        'overloaded: refusing new requests with 503 until it passes',
      );
    }
    // Refused requests would otherwise fill the log (and the admin log viewer) with one line each.
    request.log.level = 'warn';
    reply.code(503).header('retry-after', String(retryAfterSeconds)).send({ detail: SHED_DETAIL });
  });
}
