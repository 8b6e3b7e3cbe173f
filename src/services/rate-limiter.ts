/**
 * Sliding-window rate limits stored in the database, so that several server processes enforce one limit.
 *
 * A hit counts the window and records itself in one transaction that holds a lock on its bucket, so hits on
 * one bucket take turns across all processes: exactly `max` of a burst pass, however many arrive at once.
 * (Recording first and counting after is safe without a lock, but under a burst every hit can see more than
 * `max` and all are refused.) A refused hit is not recorded, so that `Retry-After` stays truthful and a
 * client that keeps knocking is not locked out for longer than the window.
 */
import { isIP } from 'node:net';
import type { RateLimitRepository } from '../db/repositories/rate-limits.js';
import { tooManyRequests } from '../errors.js';
import type { Clock } from './clock.js';

export interface Limit {
  max: number;
  windowMs: number;
}

export const MINUTES = 60_000;
export const HOURS = 60 * MINUTES;
export const DAYS = 24 * HOURS;

/** The longest window any limit uses; older hits are purged by the daily maintenance. */
export const LONGEST_WINDOW_MS = DAYS;

/**
 * The client as per-IP limits see it: an IPv4 address as is, an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
 * what a dual-stack socket reports for IPv4 clients) as that IPv4 address, and any other IPv6 address by its
 * /64 network (`2001:db8:1:2::/64`): providers hand one subscriber a whole /64 (or more), so keying the full
 * address would give one client 2^64 buckets. Every per-IP bucket name is built from this key.
 */
export function clientKey(ip: string): string {
  const address = ip.split('%')[0]!; // a zone id (fe80::1%eth0) names the interface, not the client
  if (isIP(address) !== 6) return ip;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` expanded and a trailing dotted IPv4 part). */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((piece) => {
      if (!piece.includes('.')) return [parseInt(piece, 16)];
      const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

export class RateLimiter {
  constructor(
    private readonly repository: RateLimitRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Records one hit on `bucket`; throws 429 with `Retry-After` when any of `limits` is exceeded. Returns the
   * hit's id, so that a caller who counts only failures can `release` it once the attempt succeeded.
   */
  async hit(bucket: string, limits: Limit[], detail?: string): Promise<string> {
    const now = this.clock.now();
    return this.repository.serialised(bucket, async (repository) => {
      await this.#refuseWhenFull(repository, bucket, limits, now, detail);
      return repository.insertHit(bucket, now);
    });
  }

  /** Removes a hit recorded by `hit` (e.g. an admin login that turned out to be right). */
  async release(id: string): Promise<void> {
    await this.repository.deleteHit(id);
  }

  /** Checks without recording: throws 429 when `bucket` is already at any of its limits. */
  async check(bucket: string, limits: Limit[], detail?: string): Promise<void> {
    await this.#refuseWhenFull(this.repository, bucket, limits, this.clock.now(), detail);
  }

  /** Throws 429 with `Retry-After` when `bucket` already holds `max` hits in the window of any of `limits`. */
  async #refuseWhenFull(repository: RateLimitRepository, bucket: string, limits: Limit[], now: Date, detail?: string): Promise<void> {
    for (const limit of limits) {
      const { count, oldest } = await repository.window(bucket, new Date(now.getTime() - limit.windowMs));
      if (count >= limit.max) {
        const freeAt = (oldest ? new Date(oldest).getTime() : now.getTime()) + limit.windowMs;
        throw tooManyRequests((freeAt - now.getTime()) / 1000, detail);
      }
    }
  }

  async purgeExpired(): Promise<number> {
    return this.repository.purgeBefore(new Date(this.clock.now().getTime() - LONGEST_WINDOW_MS));
  }
}
