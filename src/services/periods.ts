/**
 * Calendar months as statistics periods (`YYYY-MM`) and the rule that decides when a month is closed.
 * All arithmetic is on calendar dates (`YYYY-MM-DD`) in UTC terms, so it never depends on the server's zone;
 * the configured TIMEZONE only enters through "today", which the caller computes with `dateInZone`.
 */

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isPeriod(value: string): boolean {
  return PERIOD.test(value);
}

function parts(period: string): [number, number] {
  const match = PERIOD.exec(period);
  if (!match) throw new RangeError(`not a period (YYYY-MM): ${period}`);
  return [Number(match[1]), Number(match[2])];
}

const iso = (date: Date) => date.toISOString().slice(0, 10);

/** First and last calendar day of the month. */
export function monthRange(period: string): { first: string; last: string } {
  const [year, month] = parts(period);
  return { first: iso(new Date(Date.UTC(year, month - 1, 1))), last: iso(new Date(Date.UTC(year, month, 0))) };
}

export function periodOf(date: string): string {
  return date.slice(0, 7);
}

export function nextPeriod(period: string): string {
  const [year, month] = parts(period);
  return iso(new Date(Date.UTC(year, month, 1))).slice(0, 7);
}

export function previousPeriod(period: string): string {
  const [year, month] = parts(period);
  return iso(new Date(Date.UTC(year, month - 2, 1))).slice(0, 7);
}

export function addDays(date: string, days: number): string {
  return iso(new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000));
}

/** The first day on which the month may be published: its last day plus `graceDays` must have passed. */
export function firstPublicationDate(period: string, graceDays: number): string {
  return addDays(monthRange(period).last, graceDays + 1);
}

export function isClosed(period: string, today: string, graceDays: number): boolean {
  return today >= firstPublicationDate(period, graceDays);
}

/** The newest closed month as of `today` (never the current month, whatever the grace period). */
export function latestClosedPeriod(today: string, graceDays: number): string {
  let period = previousPeriod(periodOf(today));
  while (!isClosed(period, today, graceDays)) period = previousPeriod(period);
  return period;
}

/** Every month from `from` to `to`, both included, oldest first. */
export function periodsBetween(from: string, to: string): string[] {
  const periods: string[] = [];
  for (let period = from; period <= to; period = nextPeriod(period)) periods.push(period);
  return periods;
}
