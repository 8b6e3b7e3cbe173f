/** The request mixes `npm run bench` drives, each with the target it is measured against. */
import type { Request } from 'autocannon';
import type { Seeded } from './seed.js';

export interface Scenario {
  name: string;
  target: string;
  /** Fewer concurrent connections than the default: latency when the server is not saturated. */
  connections?: number;
  requests(seeded: Seeded): Request[];
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Round-robin over the seeded users, so that every request is a different user's. */
function rotating(seeded: Seeded) {
  let i = 0;
  return () => seeded.users[i++ % seeded.users.length]!;
}

/**
 * Distinct (user, date) pairs older than the seeded range, so that every POST creates a row (201): user i
 * gets days first-1, first-2, ... in turn. One sequence per seeded database, shared by every scenario and
 * every server started on it, so that no scenario repeats another's days (a repeat is a 200 retry).
 */
const dayCursors = new WeakMap<Seeded, { n: number }>();
export function freshDays(seeded: Seeded) {
  if (!dayCursors.has(seeded)) dayCursors.set(seeded, { n: 0 });
  const cursor = dayCursors.get(seeded)!;
  const first = new Date(`${seeded.firstSeededDate}T00:00:00Z`).getTime();
  return () => {
    const n = cursor.n++;
    const user = seeded.users[n % seeded.users.length]!;
    const back = Math.floor(n / seeded.users.length) + 1;
    return { user, date: new Date(first - back * 86_400_000).toISOString().slice(0, 10) };
  };
}

/** Turns `req` into a POST of the next fresh (user, day). */
function withNewWorkEvent(req: Request, next: ReturnType<typeof freshDays>): Request {
  const { user, date } = next();
  return {
    ...req,
    method: 'POST',
    path: '/work-events',
    headers: { ...bearer(user.token), 'content-type': 'application/json' },
    body: JSON.stringify({ date, planned_minutes: 480, actual_minutes: 540 }),
  };
}

function postWorkEvent(next: ReturnType<typeof freshDays>): Request {
  return { method: 'POST', path: '/work-events', setupRequest: (req) => withNewWorkEvent(req, next) };
}

function authed(path: string, nextUser: ReturnType<typeof rotating>): Request {
  return { method: 'GET', path, setupRequest: (req) => ({ ...req, headers: bearer(nextUser().token) }) };
}

export const SCENARIOS: Scenario[] = [
  { name: 'GET /healthz', target: '(FastAPI: 2,450/s)', requests: () => [{ method: 'GET', path: '/healthz' }] },
  { name: 'GET /auth/me', target: '>= 6,000/s', requests: (s) => [authed('/auth/me', rotating(s))] },
  { name: 'POST /work-events', target: '>= 3,000/s, p99 < 20 ms', requests: (s) => [postWorkEvent(freshDays(s))] },
  {
    name: 'POST /work-events (10 connections)',
    target: 'p99 < 20 ms',
    connections: 10,
    requests: (s) => [postWorkEvent(freshDays(s))],
  },
  { name: 'GET /work-events (60 rows)', target: '>= 2,000/s', requests: (s) => [authed('/work-events?limit=60', rotating(s))] },
  {
    name: 'GET /stats/by-state-specialty',
    target: '>= 10,000/s',
    requests: () => [{ method: 'GET', path: '/stats/by-state-specialty' }],
  },
  { name: 'GET /stats/summary', target: '>= 10,000/s', requests: () => [{ method: 'GET', path: '/stats/summary' }] },
  {
    name: 'mixed',
    target: 'no errors',
    requests(seeded) {
      const nextUser = rotating(seeded);
      const nextDay = freshDays(seeded);
      // Per 10 requests: 3 profile reads, 2 event lists, 2 new events, 2 statistics, 1 health check.
      let k = 0;
      return [
        {
          method: 'GET',
          path: '/auth/me',
          setupRequest(req) {
            const slot = k++ % 10;
            if (slot < 3) return { ...req, method: 'GET', path: '/auth/me', headers: bearer(nextUser().token) };
            if (slot < 5) return { ...req, method: 'GET', path: '/work-events?limit=60', headers: bearer(nextUser().token) };
            if (slot < 7) return withNewWorkEvent(req, nextDay);
            if (slot < 8) return { ...req, method: 'GET', path: '/stats/by-state-specialty', headers: {} };
            if (slot < 9) return { ...req, method: 'GET', path: '/stats/summary', headers: {} };
            return { ...req, method: 'GET', path: '/healthz', headers: {} };
          },
        },
      ];
    },
  },
];

/**
 * Overload at 1,000 connections: the server admits what it can serve quickly and refuses the rest with
 * 503 at once (src/plugins/overload.ts). Each scenario makes its requests one by one; a request that
 * writes carries the key of the row it would create (`user_id date`), so that the run can check the
 * database: every 201 stored, every 503 stored nothing.
 */
export interface OverloadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  key?: string;
}

export interface OverloadScenario {
  name: string;
  connections: number;
  requests(seeded: Seeded): () => OverloadRequest;
}

export const OVERLOAD_SCENARIOS: OverloadScenario[] = [
  {
    name: 'GET /auth/me (1000 connections)',
    connections: 1000,
    requests(seeded) {
      const next = rotating(seeded);
      return () => ({ method: 'GET', path: '/auth/me', headers: bearer(next().token) });
    },
  },
  {
    name: 'POST /work-events (1000 connections)',
    connections: 1000,
    requests(seeded) {
      const next = freshDays(seeded);
      return () => {
        const { user, date } = next();
        return {
          method: 'POST',
          path: '/work-events',
          headers: { ...bearer(user.token), 'content-type': 'application/json' },
          body: JSON.stringify({ date, planned_minutes: 480, actual_minutes: 540 }),
          key: `${user.id} ${date}`,
        };
      };
    },
  },
];
