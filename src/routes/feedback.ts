/**
 * `POST /feedback`: bug reports and suggestions, with or without a login. One body serves our own clients
 * (description plus app metadata and a free-form `app_state`) and the shipped mobile app's "Report an
 * issue" (contract §4.13: the same metadata plus its diagnostic fields); the app's keys are all optional
 * here, so either body is valid and unknown keys are still refused.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  DESCRIPTION_MAX_LENGTH,
  DIAGNOSTICS_SCOPES,
  FEATURE_AREA_MAX_LENGTH,
  GPS_ACCURACY_SOURCES,
  GPS_EVENT_TYPES,
  GPS_IGNORE_REASONS,
  LOCATION_NAME_MAX_LENGTH,
  LOCATIONS_DETAILS_MAX,
  RECENT_EVENTS_MAX,
} from '../services/feedback.js';
import { clientKey, HOURS } from '../services/rate-limiter.js';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });
const optionalText = (maxLength: number, description: string) => Type.Optional(nullable(Type.String({ maxLength }), description));
const Count = Type.Integer({ minimum: 0 });
const NullableNumber = nullable(Type.Number());

const LocationDetail = Type.Object(
  {
    name: Type.String({ maxLength: LOCATION_NAME_MAX_LENGTH }),
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);

// Only `timestamp` and `event_type` are required in an event: the phone keeps events recorded by older app
// versions, which may lack the newer keys; an event without a time and a kind says nothing.
const GpsEvent = Type.Object(
  {
    timestamp: Type.String({ maxLength: 64 }),
    event_type: Type.Enum([...GPS_EVENT_TYPES]),
    accuracy_meters: Type.Optional(NullableNumber),
    accuracy_source: Type.Optional(nullable(Type.Enum([...GPS_ACCURACY_SOURCES]))),
    ignored: Type.Optional(Type.Boolean()),
    ignore_reason: Type.Optional(nullable(Type.Enum([...GPS_IGNORE_REASONS]))),
    location_name: Type.Optional(
      Type.String({ maxLength: LOCATION_NAME_MAX_LENGTH, description: 'kept only with location diagnostics' }),
    ),
  },
  { additionalProperties: false },
);

const GpsTelemetry = Type.Object(
  {
    recent_events: Type.Optional(Type.Array(GpsEvent, { maxItems: RECENT_EVENTS_MAX })),
    accuracy_stats: Type.Optional(
      Type.Object({ min: NullableNumber, max: NullableNumber, avg: NullableNumber, count: Count }, { additionalProperties: false }),
    ),
    ignored_events_count: Type.Optional(Count),
    signal_degradation_count: Type.Optional(Count),
    debounced_events_count: Type.Optional(Count),
  },
  { additionalProperties: false, description: 'Geofence diagnostics of the app' },
);

const FeedbackBody = Type.Object(
  {
    description: nullable(
      Type.String({ maxLength: DESCRIPTION_MAX_LENGTH }),
      'What happened or what could be better; null or blank for a report without text. E-mail addresses and phone numbers are removed before storage.',
    ),
    app_version: optionalText(50, 'e.g. 2.1.4'),
    build_number: optionalText(50, 'e.g. 72'),
    platform: optionalText(50, 'e.g. iOS or Android'),
    device_model: optionalText(100, 'e.g. iPhone 15'),
    os_version: optionalText(50, 'e.g. 17.4'),
    app_state: Type.Optional(
      nullable(Type.Object({}, { additionalProperties: true }), 'Diagnostic state of the app, a JSON object of at most 32 KB.'),
    ),
    // The mobile app's fields (v2.1.x).
    user_id: Type.Optional(
      nullable(
        Type.String({ maxLength: 100 }),
        'Sent by the app, unverified: accepted and ignored. It is never stored and never links the report to an account (only a valid Bearer token does).',
      ),
    ),
    hospital_id: optionalText(255, 'Sent by the app (always null); not stored.'),
    specialty: optionalText(255, 'Sent by the app (always null); not stored.'),
    role_level: optionalText(255, 'Sent by the app (always null); not stored.'),
    state_code: optionalText(255, 'Sent by the app (always null); not stored.'),
    include_location_diagnostics: Type.Optional(Type.Boolean({ description: "the user's opt-in to location diagnostics" })),
    diagnostics_scope: Type.Optional(
      Type.Enum([...DIAGNOSTICS_SCOPES], { description: 'location data is kept only with "location" and the opt-in' }),
    ),
    feature_area: Type.Optional(Type.String({ maxLength: FEATURE_AREA_MAX_LENGTH, description: 'e.g. settings' })),
    locations_count: Type.Optional(Count),
    locations_details: Type.Optional(
      nullable(
        Type.Array(LocationDetail, { maxItems: LOCATIONS_DETAILS_MAX }),
        'Saved workplaces; kept only with location diagnostics, coordinates rounded to 3 decimals.',
      ),
    ),
    work_events_total: Type.Optional(Count),
    work_events_pending: Type.Optional(Count),
    last_submission: optionalText(64, 'Sent by the app (always null).'),
    gps_telemetry: Type.Optional(nullable(GpsTelemetry)),
  },
  { additionalProperties: false },
);

const Accepted = Type.Object({ success: Type.Literal(true), message: Type.String() });
const Problem = Type.Object({ detail: Type.String() });

const FEEDBACK_LIMIT = [{ max: 10, windowMs: HOURS }];

export default async function feedbackRoutes(app: FastifyInstance): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/feedback',
    {
      // Optional: no token is fine, an invalid one is refused (401) before the body is read.
      onRequest: app.auth.optional,
      schema: {
        summary: 'Send feedback (no login needed; a Bearer token links the report to the account)',
        description:
          'Used by our own clients and by the mobile app v2.1.x ("Report an issue" in Settings), which sends every key and no token. ' +
          'The `user_id` in the body is unverified and neither stored nor used to link the report; only a valid Bearer token links it, ' +
          'so that the report is exported and erased with the account. Workplace names and coordinates are kept only when ' +
          '`include_location_diagnostics` is true and `diagnostics_scope` is "location"; coordinates are rounded to 3 decimals. ' +
          'At most 10 reports per hour per client address.',
        tags: ['feedback', 'app'],
        body: FeedbackBody,
        response: { 201: Accepted, 422: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      await app.services.rateLimiter.hit(
        `feedback:${clientKey(request.ip)}`,
        FEEDBACK_LIMIT,
        'Too many feedback reports, please try again later',
      );
      // The account comes from the verified token only, never from the body's `user_id`.
      await app.services.feedback.submit(request.body, request.user?.id ?? null);
      // The app's wording (the original backend's answer); the app needs a JSON 2xx.
      return reply.code(201).send({ success: true as const, message: 'Thank you! Your feedback has been submitted.' });
    },
  );
}
