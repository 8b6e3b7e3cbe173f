/**
 * The two kinds of client the overload scenarios drive, each holding `connections` keep-alive connections:
 *
 * - `retry at once`: autocannon, every connection sends its next request the moment it has an answer,
 *   503 or not. The worst case: every refusal comes straight back, so refusing costs as much CPU as the
 *   clients can send (and here the load generator shares the server's two cores).
 * - `honour Retry-After`: a connection that gets 503 waits the seconds its `Retry-After` says before its
 *   next request, as a phone that backs off does; answered connections send the next at once.
 *
 * Both report every answer (status, latency, when) and the requests that got none.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import type { OverloadRequest } from './scenarios.js';

export type ClientKind = 'retry at once' | 'honour Retry-After';

export interface Answer {
  status: number;
  ms: number;
  /** Milliseconds since the start of the run. */
  at: number;
  /**
   * The first request of its connection: its time includes opening the connection and waiting to be
   * accepted (with several workers, for the primary to hand the connection over to a worker).
   */
  first: boolean;
  key?: string;
}

export interface Driven {
  answers: Answer[];
  /** Requests that got no answer: socket errors and timeouts. */
  errors: number;
}

export function drive(kind: ClientKind, url: string, connections: number, seconds: number, next: () => OverloadRequest): Promise<Driven> {
  return kind === 'retry at once' ? retryAtOnce(url, connections, seconds, next) : honourRetryAfter(url, connections, seconds, next);
}

async function retryAtOnce(url: string, connections: number, seconds: number, next: () => OverloadRequest): Promise<Driven> {
  const answers: Answer[] = [];
  const started = performance.now();
  type Context = { key?: string };
  // autocannon calls onResponse (which has the request's context) and then emits 'response' (which has
  // the latency), synchronously, for the same answer: the key is handed from one to the other.
  let answeredKey: string | undefined;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest(req, context) {
          const r = next();
          (context as Context).key = r.key;
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
        },
        // Each connection has one request outstanding, so its context holds this answer's key.
        onResponse(_status, _body, context) {
          answeredKey = (context as Context).key;
        },
      },
    ],
  });
  const connected = new WeakSet<object>();
  (instance as unknown as NodeJS.EventEmitter).on('response', (client: object, status: number, _bytes: number, ms: number) => {
    answers.push({ status, ms, at: performance.now() - started, first: !connected.has(client), key: answeredKey });
    connected.add(client);
    answeredKey = undefined;
  });
  const result = await instance;
  return { answers, errors: result.errors + result.timeouts };
}

async function honourRetryAfter(url: string, connections: number, seconds: number, next: () => OverloadRequest): Promise<Driven> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const answers: Answer[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const send = (r: OverloadRequest) =>
    new Promise<{ status: number; retryAfter: number; first: boolean }>((resolve, reject) => {
      const req = http.request(`${url}${r.path}`, { method: r.method, headers: r.headers, agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 1), first: !req.reusedSocket }),
        );
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(r.body);
    });
  const phone = async () => {
    while (performance.now() < deadline) {
      const r = next();
      const sentAt = performance.now();
      try {
        const { status, retryAfter, first } = await send(r);
        const now = performance.now();
        answers.push({ status, ms: now - sentAt, at: now - started, first, key: r.key });
        if (status === 503) await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter * 1000, Math.max(0, deadline - now))));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, phone));
  agent.destroy();
  return { answers, errors };
}
