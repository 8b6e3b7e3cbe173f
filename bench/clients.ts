/**
 * The two kinds of client the overload scenarios drive, each holding `connections` keep-alive connections
 * with one request outstanding on each:
 *
 * - `retry at once`: every connection sends its next request the moment it has an answer, 503 or not. The
 *   worst case: every refusal comes straight back.
 * - `honour Retry-After`: a connection that gets 503 waits the seconds its `Retry-After` says before its
 *   next request, as a phone that backs off does; answered connections send the next at once.
 *
 * Written on plain sockets rather than with autocannon: at 1,000 connections autocannon took a whole core
 * (0.9 of the machine's two) to answer 20,000 refusals a second, so the latencies it reported were mostly
 * the time answers waited for its own event loop, and it starved the server it measured. This client
 * writes prepared requests and reads only the status line and `Content-Length`; it used 0.2 of a core in
 * the same run. Both kinds report every answer (status, latency, when) and the requests that got none.
 */
import net from 'node:net';
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

/** A request without an answer after this long counts as lost, and its connection is closed. */
const TIMEOUT_MS = 10_000;
const END_OF_HEAD = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;
const RETRY_AFTER = /\r\nretry-after: *(\d+)/i;

function encode(host: string, r: OverloadRequest): Buffer {
  let head = `${r.method} ${r.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(r.headers)) head += `${name}: ${value}\r\n`;
  if (r.body !== undefined) head += `content-length: ${Buffer.byteLength(r.body)}\r\n`;
  return Buffer.from(`${head}\r\n${r.body ?? ''}`);
}

export function drive(kind: ClientKind, url: string, connections: number, seconds: number, next: () => OverloadRequest): Promise<Driven> {
  const { hostname, port, host } = new URL(url);
  const answers: Answer[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let open = connections;

  return new Promise((resolve) => {
    const connection = () => {
      const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
      let received: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let key: string | undefined;
      let first = true;
      let waiting = false;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        if (waiting) errors++;
        socket.destroy();
        if (--open === 0) resolve({ answers, errors });
      };
      const send = () => {
        if (closed) return;
        if (performance.now() >= deadline) return close();
        const request = next();
        key = request.key;
        waiting = true;
        sentAt = performance.now();
        socket.write(encode(host, request));
      };
      socket.setTimeout(TIMEOUT_MS, close);
      socket.on('connect', send);
      socket.on('error', close);
      socket.on('close', close);
      socket.on('data', (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const headEnd = received.indexOf(END_OF_HEAD);
        if (headEnd === -1) return;
        const head = received.subarray(0, headEnd).toString('latin1');
        const end = headEnd + END_OF_HEAD.length + Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
        if (received.length < end) return;
        received = received.subarray(end);
        const now = performance.now();
        const status = Number(head.slice('HTTP/1.1 '.length, 'HTTP/1.1 '.length + 3));
        answers.push({ status, ms: now - sentAt, at: now - started, first, key });
        first = false;
        waiting = false;
        if (kind === 'honour Retry-After' && status === 503) {
          const seconds = Number(RETRY_AFTER.exec(head)?.[1] ?? 1);
          setTimeout(send, Math.min(seconds * 1000, Math.max(0, deadline - now)));
        } else send();
      });
    };
    for (let i = 0; i < connections; i++) connection();
  });
}
