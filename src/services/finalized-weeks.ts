/**
 * Finalized weeks: the way the mobile app (v2.1.x) reports work. Once all seven days of a week are confirmed
 * on the phone, the app sends the week's planned and worked hours once (contract §4.11, §6). The app treats
 * 201 and 409 as "sent" and everything else, 200 included, as a failure that it retries forever; so the first
 * send of a week is 201 and every repeat is 409, and the first values stay.
 *
 * The week keeps a snapshot of the profile as it was when it was sent. Its days can no longer be changed
 * through /work-events (WorkEventService checks), and statistics count it as one complete week.
 */
import type { Config } from '../config.js';
import type { FinalizedWeekRepository } from '../db/repositories/finalized-weeks.js';
import type { FinalizedWeek, User } from '../db/schema.js';
import { badRequest, conflict, unprocessable } from '../errors.js';
import { dateInZone, type Clock } from './clock.js';
import { addDays } from './periods.js';
import { profileSnapshot, type ProfileSnapshot } from './profile.js';
import { FIRST_DATE } from './work-events.js';

/** The hours of a whole week; the app never sends more in practice. */
export const MAX_WEEK_HOURS = 168;

export interface FinalizedWeekInput {
  week_start: string;
  planned_hours: number;
  actual_hours: number;
}

/** The week as the app receives it (and as GET and the data export list it). */
export interface FinalizedWeekView extends ProfileSnapshot {
  finalized_week_id: string;
  week_start: string;
  week_end: string;
  planned_hours: number;
  actual_hours: number;
  finalized_at: string;
}

export interface FinalizedWeekDeps {
  config: Config;
  clock: Clock;
  weeks: FinalizedWeekRepository;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export class FinalizedWeekService {
  constructor(private readonly deps: FinalizedWeekDeps) {}

  /** Stores the week with the user's profile as it is now; 409 when the user finalized that week before. */
  async finalize(user: User, input: FinalizedWeekInput): Promise<FinalizedWeekView> {
    const weekday = new Date(`${input.week_start}T00:00:00Z`).getUTCDay();
    if (weekday !== 1) throw unprocessable(`week_start: must be a Monday; ${input.week_start} is a ${WEEKDAYS[weekday]}`);
    const planned = centihours(input.planned_hours, 'planned_hours');
    const actual = centihours(input.actual_hours, 'actual_hours');
    const weekEnd = addDays(input.week_start, 6);
    // The same lower bound as for daily work events: nothing before it is plausible data.
    if (weekEnd < FIRST_DATE) throw unprocessable(`week_start: the week must end on ${FIRST_DATE} or later`);
    // "Today" by the service's calendar (TIMEZONE): the app sends the current week on its Sunday evening.
    if (weekEnd > dateInZone(this.deps.clock.now(), this.deps.config.timezone)) {
      throw badRequest('Only weeks ending today or earlier can be finalized.');
    }
    const stored = await this.deps.weeks.insertIfNew({
      user_id: user.id,
      week_start: input.week_start,
      week_end: weekEnd,
      planned_centihours: planned,
      actual_centihours: actual,
      ...profileSnapshot(user),
      finalized_at: this.deps.clock.now().toISOString(),
    });
    if (!stored) throw conflict(`Week starting ${input.week_start} has already been finalized.`);
    return toFinalizedWeekView(stored);
  }

  async list(user: User, page: { limit: number; offset: number }): Promise<FinalizedWeekView[]> {
    return (await this.deps.weeks.list(user.id, page)).map(toFinalizedWeekView);
  }
}

/**
 * Hours (0 to 168, at most two decimals) as integer hundredths of an hour, the stored unit. Binary floats
 * cannot hold most two-decimal numbers exactly (37.33 × 100 is 3732.9999999999995), so a value counts as two
 * decimals when it is within a millionth of a hundredth; 37.333 is refused.
 */
function centihours(hours: number, field: string): number {
  const scaled = hours * 100;
  const rounded = Math.round(scaled);
  if (Math.abs(scaled - rounded) > 1e-6) throw unprocessable(`${field}: must have at most two decimals`);
  return rounded;
}

export function toFinalizedWeekView(week: FinalizedWeek): FinalizedWeekView {
  return {
    finalized_week_id: week.id,
    week_start: week.week_start,
    week_end: week.week_end,
    // An exact division of integers: 3733 / 100 is the same double as the 37.33 the app sent.
    planned_hours: week.planned_centihours / 100,
    actual_hours: week.actual_centihours / 100,
    ...profileSnapshot(week),
    finalized_at: week.finalized_at,
  };
}
