/**
 * In-process cache of serialized responses (body, its gzip and an ETag) for the public statistics, which change once a month
 * but may be read thousands of times a second. The process that publishes clears it at once; other
 * processes serve their copy until it expires (`ttlMs`), so a new month shows everywhere within one TTL.
 * Query strings are chosen by clients, so it is bounded in bytes (and entries), and expired entries are
 * dropped as soon as the cache is next used, not only when it is full.
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

/**
 * The default byte budget: room for two full pages of 5000 rows and many small answers, yet small next to
 * the process. Query strings are chosen by clients, so without a byte bound 1000 large pages held ~700 MB.
 */
export const DEFAULT_CACHE_MAX_BYTES = 8 * 2 ** 20;

/** What an entry costs besides its bodies (key, headers, ETag, bookkeeping), roughly. */
const ENTRY_OVERHEAD_BYTES = 512;

interface Entry {
  expiresAt: number;
  generation: number;
  value: Promise<CachedResponse>;
  /** Counted once the answer is produced; 0 while it is in flight. */
  bytes: number;
}

export class ResponseCache {
  /** In insertion order, which is also expiry order (one TTL for all): the oldest entry goes first. */
  readonly #entries = new Map<string, Entry>();
  #generation = 0;
  #bytes = 0;

  constructor(
    private readonly clock: Clock,
    readonly ttlMs: number,
    readonly maxBytes = DEFAULT_CACHE_MAX_BYTES,
    private readonly maxEntries = 1000,
  ) {}

  /** Bytes held by the produced entries (bodies, their gzip and a per-entry overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held, including productions in flight. */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached response for `key`, or the one `produce` makes (once, however many ask at the same time). */
  get(key: string, produce: () => Promise<Representation>): Promise<CachedResponse> {
    const now = this.clock.now().getTime();
    this.#dropExpired(now);
    const cached = this.#entries.get(key);
    if (cached && cached.generation === this.#generation) return cached.value;

    const value = produce().then(encode);
    const entry: Entry = { expiresAt: now + this.ttlMs, generation: this.#generation, value, bytes: 0 };
    this.#remove(key);
    while (this.#entries.size >= this.maxEntries) this.#remove(this.#entries.keys().next().value!);
    this.#entries.set(key, entry);
    value.then(
      (response) => {
        // Replaced, invalidated or expired meanwhile: nothing to account for.
        if (this.#entries.get(key) !== entry) return;
        const bytes = sizeOf(key, response);
        // Served to its callers, but never kept: it would push out everything else.
        if (bytes > this.maxBytes) return void this.#remove(key);
        entry.bytes = bytes;
        this.#bytes += bytes;
        for (const oldest of this.#entries.keys()) {
          if (this.#bytes <= this.maxBytes) break;
          this.#remove(oldest);
        }
      },
      // A failed production is not cached: the next request tries again.
      () => {
        if (this.#entries.get(key) === entry) this.#remove(key);
      },
    );
    return value;
  }

  /** Forgets everything, including productions still in flight (they answer their callers only). */
  invalidate(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(key);
  }

  /** Drops the expired entries from the front; entries behind the first live one are younger still. */
  #dropExpired(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#remove(key);
    }
  }
}

function sizeOf(key: string, response: CachedResponse): number {
  return response.body.length + (response.gzip?.length ?? 0) + key.length * 2 + ENTRY_OVERHEAD_BYTES;
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
