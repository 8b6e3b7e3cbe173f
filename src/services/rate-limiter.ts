/**
 * Sliding-window rate limits stored in the database, so that several server processes enforce one limit.
 *
 * A request first records its hit, then counts the window. Because every request counts after its own
 * insert, at most `max` requests can ever pass, however many arrive at once: the last of any `max + 1`
 * to insert sees all the others. A refused hit is removed again, so that `Retry-After` stays truthful
 * and a client that keeps knocking is not locked out for longer than the window.
 */
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
