/** The service's notion of "now", injectable so that tests can move time (code expiry, "today", closed months). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (`YYYY-MM-DD`) of an instant in the given IANA time zone. */
export function dateInZone(instant: Date, timeZone: string): string {
  // Building a DateTimeFormat costs far more than using one, and this runs on every work-event request.
  let format = dateFormats.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  return format.format(instant);
}
