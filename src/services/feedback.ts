/**
 * Feedback from the app: bug reports and suggestions, anonymous unless the sender was signed in. Contact
 * data is removed before anything is stored, and reports are deleted after the retention period.
 */
import { randomUUID } from 'node:crypto';
import type { FeedbackRepository, FeedbackRow, NewFeedback } from '../db/repositories/feedback.js';
import type { FeedbackStatus } from '../db/schema.js';
import { notFound, unprocessable } from '../errors.js';
import type { Clock } from './clock.js';
import type { Pseudonymizer } from './pseudonym.js';
import { DAYS } from './rate-limiter.js';
import { scrubContactData, scrubEmailsDeep } from './scrub.js';

export const FEEDBACK_STATUSES = ['new', 'resolved', 'dismissed'] as const satisfies readonly FeedbackStatus[];
export const DESCRIPTION_MAX_LENGTH = 5000;
/**
 * Bounds the free-form `app_state` a client may send. The app's own diagnostic fields (below) are not
 * counted against it: the request schema bounds each of them, so together they stay below about 200 KB
 * even at their worst (100 events and 50 locations with 200-character names), and the app's real body is
 * a few KB.
 */
export const APP_STATE_MAX_BYTES = 32 * 1024;

/**
 * How deep a client's `app_state` may nest (depth 1 is a flat object). Real states are a few levels; a
 * state thousands of levels deep (small enough in bytes) would overflow the stack of the code that copies
 * and scrubs it.
 */
export const APP_STATE_MAX_DEPTH = 32;

/** Bounds of the app's diagnostic fields (§4.13 of the mobile-app contract); the route schema enforces them. */
export const FEATURE_AREA_MAX_LENGTH = 100;
export const LOCATIONS_DETAILS_MAX = 50;
export const LOCATION_NAME_MAX_LENGTH = 200;
export const RECENT_EVENTS_MAX = 100;
export const DIAGNOSTICS_SCOPES = ['standard', 'location'] as const;
export const GPS_EVENT_TYPES = ['enter', 'exit'] as const;
export const GPS_ACCURACY_SOURCES = ['event', 'active_fetch'] as const;
export const GPS_IGNORE_REASONS = ['poor_accuracy', 'signal_degradation', 'no_session', 'debounced'] as const;
/** Stored coordinates keep 3 decimals (about 100 m): enough to see a geofence problem, not a doorstep. */
const COORDINATE_DECIMALS = 3;
/** The key of the stored `app_state` under which the app's diagnostic fields are kept. */
export const APP_DIAGNOSTICS_KEY = 'app_diagnostics';

export interface LocationDetail {
  name: string;
  latitude: number;
  longitude: number;
}

export interface GpsEvent {
  timestamp: string;
  event_type: (typeof GPS_EVENT_TYPES)[number];
  accuracy_meters?: number | null;
  accuracy_source?: (typeof GPS_ACCURACY_SOURCES)[number] | null;
  ignored?: boolean;
  ignore_reason?: (typeof GPS_IGNORE_REASONS)[number] | null;
  location_name?: string;
}

export interface GpsTelemetry {
  recent_events?: GpsEvent[];
  accuracy_stats?: { min: number | null; max: number | null; avg: number | null; count: number };
  ignored_events_count?: number;
  signal_degradation_count?: number;
  debounced_events_count?: number;
}

/** The app's diagnostic fields of a report ("Report an issue" in the app's settings); all optional. */
export interface AppDiagnostics {
  include_location_diagnostics?: boolean;
  diagnostics_scope?: (typeof DIAGNOSTICS_SCOPES)[number];
  feature_area?: string;
  locations_count?: number;
  locations_details?: LocationDetail[] | null;
  work_events_total?: number;
  work_events_pending?: number;
  last_submission?: string | null;
  gps_telemetry?: GpsTelemetry | null;
}

/**
 * As a client sends it: optional fields may be missing or null. The app also sends `user_id` and profile
 * fields (`hospital_id`, `specialty`, `role_level`, `state_code`); they are deliberately not part of this
 * input: nobody has proven them, so they neither link a report to an account (only a valid token does) nor
 * get stored.
 */
export interface FeedbackInput extends AppDiagnostics {
  /** Null or blank is a report without text (the app sends null when the user typed nothing). */
  description: string | null;
  app_version?: string | null;
  build_number?: string | null;
  platform?: string | null;
  device_model?: string | null;
  os_version?: string | null;
  app_state?: object | null;
}

/** A report as operators see it: the linked user only as a short pseudonym. */
export interface FeedbackReport extends Omit<FeedbackRow, 'user_id'> {
  user: string | null;
}

const roundCoordinate = (value: number) => Number(value.toFixed(COORDINATE_DECIMALS));

/**
 * The app's diagnostic fields as stored, or null when the client sent none. Location data (workplace names
 * and coordinates, and the workplace an event belongs to) is kept only when the user opted in to location
 * diagnostics and the scope says so; otherwise it is dropped here, before anything is stored. Everything a
 * person may have typed (workplace names, the feature area) is scrubbed like the description.
 */
export function storedDiagnostics(input: AppDiagnostics): Record<string, unknown> | null {
  const keepLocations = input.include_location_diagnostics === true && input.diagnostics_scope === 'location';
  const telemetry = input.gps_telemetry;
  const diagnostics = {
    include_location_diagnostics: input.include_location_diagnostics,
    diagnostics_scope: input.diagnostics_scope,
    feature_area: input.feature_area === undefined ? undefined : scrubContactData(input.feature_area),
    locations_count: input.locations_count,
    locations_details:
      !keepLocations || input.locations_details == null
        ? undefined
        : input.locations_details.map((location) => ({
            name: scrubContactData(location.name),
            latitude: roundCoordinate(location.latitude),
            longitude: roundCoordinate(location.longitude),
          })),
    work_events_total: input.work_events_total,
    work_events_pending: input.work_events_pending,
    last_submission: input.last_submission,
    gps_telemetry:
      telemetry == null
        ? telemetry
        : {
            ...telemetry,
            recent_events: telemetry.recent_events?.map(({ location_name, ...event }) =>
              keepLocations && location_name !== undefined ? { ...event, location_name: scrubContactData(location_name) } : event,
            ),
          },
  };
  // Keys the client did not send stay out of the stored JSON.
  const sent = Object.fromEntries(Object.entries(diagnostics).filter(([, value]) => value !== undefined));
  return Object.keys(sent).length === 0 ? null : sent;
}

/** Whether objects and arrays inside `value` nest more than `max` levels; a loop, so any depth is safe to ask. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const inner of Object.values(node)) pending.push([inner, depth + 1]);
  }
  return false;
}

/**
 * A report as it is stored: contact data scrubbed, location data kept only where the sender opted in, the
 * app's fields under `app_diagnostics`. One rule for reports sent here and reports imported from the original
 * backend (src/services/import-original.ts). Throws 422 for a client state that is too large or uses the
 * reserved key.
 */
export function storedFeedback(input: FeedbackInput): Omit<NewFeedback, 'id' | 'user_id' | 'created_at'> {
  let clientState: Record<string, unknown> | null = null;
  if (input.app_state !== undefined && input.app_state !== null) {
    if (nestedDeeperThan(input.app_state, APP_STATE_MAX_DEPTH)) {
      throw unprocessable(`app_state: must not be nested more than ${APP_STATE_MAX_DEPTH} levels deep`);
    }
    if (Buffer.byteLength(JSON.stringify(input.app_state)) > APP_STATE_MAX_BYTES) {
      throw unprocessable(`app_state: must be at most ${APP_STATE_MAX_BYTES / 1024} KB of JSON`);
    }
    clientState = input.app_state as Record<string, unknown>;
  }
  // The app's fields go into the same JSON column, under their own key: one place for everything a client
  // reports about its state, and no migration. A client state that uses that key itself would be
  // overwritten, so it is refused instead.
  const diagnostics = storedDiagnostics(input);
  if (diagnostics !== null && clientState !== null && APP_DIAGNOSTICS_KEY in clientState) {
    throw unprocessable(`app_state.${APP_DIAGNOSTICS_KEY}: reserved for the app's diagnostic fields`);
  }
  const appState = diagnostics === null ? clientState : { ...clientState, [APP_DIAGNOSTICS_KEY]: diagnostics };
  // Every free-text field is scrubbed like the description: a device name can hold a phone number too.
  const metadata = (value: string | null | undefined) => (value === undefined || value === null ? null : scrubContactData(value));
  return {
    // A report without text is stored with an empty description (the column stays NOT NULL).
    description: input.description === null || input.description.trim() === '' ? '' : scrubContactData(input.description),
    app_version: metadata(input.app_version),
    build_number: metadata(input.build_number),
    platform: metadata(input.platform),
    device_model: metadata(input.device_model),
    os_version: metadata(input.os_version),
    // E-mail addresses are removed from every string and key of the state, the client's and the app's.
    app_state: appState === null ? null : JSON.stringify(scrubEmailsDeep(appState)),
  };
}

export class FeedbackService {
  constructor(
    private readonly repository: FeedbackRepository,
    private readonly clock: Clock,
    private readonly pseudonym: Pseudonymizer,
    private readonly retentionDays: number,
  ) {}

  /**
   * Stores a scrubbed report; `userId` (from a verified token, never from the body) links it to a signed-in
   * sender so that it is exported and erased with them.
   */
  async submit(input: FeedbackInput, userId: string | null = null): Promise<{ id: string }> {
    const id = randomUUID();
    await this.repository.insert({ id, user_id: userId, ...storedFeedback(input), created_at: this.clock.now().toISOString() });
    return { id };
  }

  async list(options: { status?: FeedbackStatus; limit: number; offset: number }) {
    const [rows, counts] = await Promise.all([this.repository.list(options), this.repository.countByStatus()]);
    return { reports: rows.map((row) => this.toReport(row)), counts };
  }

  async setStatus(id: string, status: FeedbackStatus): Promise<FeedbackReport> {
    const row = await this.repository.updateStatus(id, status, this.clock.now().toISOString());
    if (!row) throw notFound('Feedback report not found');
    return this.toReport(row);
  }

  /** Everything a user sent while signed in, for the GDPR data export (their own id, not a pseudonym). */
  async listForUser(userId: string): Promise<FeedbackRow[]> {
    return this.repository.listForUser(userId);
  }

  async purgeOlderThan(days: number): Promise<number> {
    return this.repository.deleteCreatedBefore(new Date(this.clock.now().getTime() - days * DAYS).toISOString());
  }

  /** The daily retention job: deletes reports older than `FEEDBACK_RETENTION_DAYS`. */
  async purgeExpired(): Promise<number> {
    return this.purgeOlderThan(this.retentionDays);
  }

  private toReport({ user_id, ...row }: FeedbackRow): FeedbackReport {
    return { ...row, user: user_id === null ? null : this.pseudonym(user_id) };
  }
}
