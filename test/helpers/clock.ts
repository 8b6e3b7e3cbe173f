import type { Clock } from '../../src/services/clock.js';

/** A clock that stands still until the test moves it. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: string | Date = '2026-03-15T10:00:00Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  set(instant: string | Date): void {
    this.#now = new Date(instant).getTime();
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
