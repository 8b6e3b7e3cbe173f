/**
 * In-process cache of serialized responses (body, its gzip and an ETag) for the public statistics, which change once a month
 * but may be read thousands of times a second. The process that publishes clears it at once; other
 * processes serve their copy until it expires (`ttlMs`), so a new month shows everywhere within one TTL.
 * Bounded in entries, because query strings are chosen by clients.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Clock } from './clock.js';

export interface Representation {
  body: string;
  contentType: string;
  /** Extra response headers that belong to this body (e.g. a total count). */
  headers?: Record<string, string>;
}

export interface CachedResponse {
  /** The body, encoded once (UTF-8) so that each answer only copies bytes. */
  body: Buffer;
  /** The same body gzip-compressed, when that is worth it (large bodies). */
  gzip: Buffer | null;
  contentType: string;
  headers: Record<string, string>;
  etag: string;
}

/** Bodies below this size are not worth compressing. */
const GZIP_MIN_BYTES = 512;

interface Entry {
  expiresAt: number;
  generation: number;
  value: Promise<CachedResponse>;
}

export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(
    private readonly clock: Clock,
    readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  /** The cached response for `key`, or the one `produce` makes (once, however many ask at the same time). */
  get(key: string, produce: () => Promise<Representation>): Promise<CachedResponse> {
    const now = this.clock.now().getTime();
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > now && entry.generation === this.#generation) return entry.value;

    const generation = this.#generation;
    const value = produce().then(encode);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.delete(key);
    this.#entries.set(key, { expiresAt: now + this.ttlMs, generation, value });
    // A failed production is not cached: the next request tries again.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  /** Forgets everything, including productions still in flight (they answer their callers only). */
  invalidate(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}

/** Encodes a representation once: UTF-8 bytes, their gzip when worth it, and a weak ETag. */
export function encode({ body, contentType, headers = {} }: Representation): CachedResponse {
  const bytes = Buffer.from(body, 'utf8');
  return {
    body: bytes,
    gzip: bytes.length >= GZIP_MIN_BYTES ? gzipSync(bytes) : null,
    contentType,
    headers,
    // Weak: the gzip and identity encodings of one body share it.
    etag: `W/"${createHash('sha256').update(bytes).digest('base64url').slice(0, 32)}"`,
  };
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, lists and `*` allowed). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}
