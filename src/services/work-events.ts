/**
 * Work events: one confirmed past day of one doctor, with planned and actual minutes. The mobile app queues
 * days offline and retries until it gets an answer, so submitting the same day again is answered with the
 * stored event instead of an error; only different minutes for a stored day are a conflict.
 */
import type { Config } from '../config.js';
import type { FinalizedWeekRepository } from '../db/repositories/finalized-weeks.js';
import type { MinuteChanges, WorkEventQuery, WorkEventRepository } from '../db/repositories/work-events.js';
import type { User, WorkEvent } from '../db/schema.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { dateInZone, type Clock } from './clock.js';

/** The first day the service accepts. */
export const FIRST_DATE = '2020-01-01';
/** A 24-hour shift. */
export const MAX_MINUTES = 1440;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface WorkEventView {
  id: string;
  date: string;
  planned_minutes: number;
  actual_minutes: number;
  created_at: string;
  updated_at: string;
}

export interface WorkEventInput {
  date: string;
  planned_minutes: number;
  actual_minutes: number;
}

export interface WorkEventDeps {
  config: Config;
  clock: Clock;
  events: WorkEventRepository;
  /** Days inside a finalized week are locked. */
  finalizedWeeks: FinalizedWeekRepository;
}

const NOT_FOUND = 'Work event not found';

export class WorkEventService {
  constructor(private readonly deps: WorkEventDeps) {}

  /** Today's date in the service's time zone (`TIMEZONE`), not the server's. */
  today(): string {
    return dateInZone(this.deps.clock.now(), this.deps.config.timezone);
  }

  /** Stores a confirmed day; `created` is false when the identical day was stored before (a retry). */
  async submit(user: User, input: WorkEventInput): Promise<{ event: WorkEventView; created: boolean }> {
    this.#checkDate(input.date);
    await this.#assertOpen(user.id, input.date);
    const { event, created } = await this.deps.events.insertOrFind({ user_id: user.id, ...input }, this.deps.clock.now());
    if (!created && (event.planned_minutes !== input.planned_minutes || event.actual_minutes !== input.actual_minutes)) {
      throw conflict(
        `A work event for ${input.date} already exists with different minutes (id ${event.id}). ` +
          `Change it with PATCH /work-events/${event.id} or delete it first.`,
        { event_id: event.id },
      );
    }
    return { event: toView(event), created };
  }

  /** One page of the user's events, and how many match the date range in all (`total`). */
  async list(user: User, query: WorkEventQuery): Promise<{ events: WorkEventView[]; total: number }> {
    if (query.startDate && query.endDate && query.startDate > query.endDate) {
      throw unprocessable('start_date must not be after end_date');
    }
    const [events, total] = await Promise.all([this.deps.events.list(user.id, query), this.deps.events.count(user.id, query)]);
    return { events: events.map(toView), total };
  }

  /** Changes the minutes of one of the user's events; the date of an event never changes. */
  async update(user: User, id: string, changes: MinuteChanges & { date?: unknown }): Promise<WorkEventView> {
    if (changes.date !== undefined) {
      throw unprocessable('date: cannot be changed; delete the event and create it again for the other day');
    }
    const given: MinuteChanges = {};
    if (changes.planned_minutes !== undefined) given.planned_minutes = changes.planned_minutes;
    if (changes.actual_minutes !== undefined) given.actual_minutes = changes.actual_minutes;
    if (Object.keys(given).length === 0) throw unprocessable('Nothing to update: send planned_minutes and/or actual_minutes');
    await this.#assertEventOpen(user.id, id);
    const updated = await this.deps.events.update(user.id, id, given, this.deps.clock.now());
    if (!updated) throw notFound(NOT_FOUND);
    return toView(updated);
  }

  async delete(user: User, id: string): Promise<void> {
    await this.#assertEventOpen(user.id, id);
    if (!(await this.deps.events.delete(user.id, id))) throw notFound(NOT_FOUND);
  }

  /**
   * The one rule that locks days: a day inside one of the user's finalized weeks can no longer be created,
   * changed or deleted. Checked before writing, not in the same statement: a week finalized in between
   * changes nothing that counts, because statistics ignore daily events inside finalized weeks.
   */
  async #assertOpen(userId: string, date: string): Promise<void> {
    const week = await this.deps.finalizedWeeks.containing(userId, date);
    if (week) throw conflict(`The week starting ${week.week_start} has been finalized; its days can no longer be changed.`);
  }

  /** As `#assertOpen`, for the day of one of the user's events; an unknown id is 404. */
  async #assertEventOpen(userId: string, id: string): Promise<void> {
    const event = await this.deps.events.find(userId, id);
    if (!event) throw notFound(NOT_FOUND);
    await this.#assertOpen(userId, event.date);
  }

  #checkDate(date: string): void {
    if (date < FIRST_DATE) throw unprocessable(`date: must be ${FIRST_DATE} or later`);
    const today = this.today();
    if (date >= today) {
      throw unprocessable(
        `date: only past days can be confirmed; ${date} is ${date === today ? 'today' : 'in the future'} ` +
          `(today is ${today} in ${this.deps.config.timezone})`,
      );
    }
  }
}

export function toView(event: Omit<WorkEvent, 'user_id'>): WorkEventView {
  return {
    id: event.id,
    date: event.date,
    planned_minutes: event.planned_minutes,
    actual_minutes: event.actual_minutes,
    created_at: event.created_at,
    updated_at: event.updated_at ?? event.created_at,
  };
}
