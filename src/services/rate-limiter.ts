/**
 * Sliding-window rate limits stored in the database, so that several server processes enforce one limit.
 *
 * A request first records its hit, then counts the window. Because every request counts after its own
 * insert, at most `max` requests can ever pass, however many arrive at once: the last of any `max + 1`
 * to insert sees all the others. A refused hit is removed again, so that `Retry-After` stays truthful
 * and a client that keeps knocking is not locked out for longer than the window.
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
    const id = await this.repository.insertHit(bucket, now);
    for (const limit of limits) {
      const since = new Date(now.getTime() - limit.windowMs);
      const { count, oldest } = await this.repository.window(bucket, since);
      if (count > limit.max) {
        await this.repository.deleteHit(id);
        const freeAt = (oldest ? new Date(oldest).getTime() : now.getTime()) + limit.windowMs;
        throw tooManyRequests((freeAt - now.getTime()) / 1000, detail);
      }
    }
    return id;
  }

  /** Removes a hit recorded by `hit` (e.g. an admin login that turned out to be right). */
  async release(id: string): Promise<void> {
    await this.repository.deleteHit(id);
  }

  /** Checks without recording: throws 429 when `bucket` is already at any of its limits. */
  async check(bucket: string, limits: Limit[], detail?: string): Promise<void> {
    const now = this.clock.now();
    for (const limit of limits) {
      const { count, oldest } = await this.repository.window(bucket, new Date(now.getTime() - limit.windowMs));
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
