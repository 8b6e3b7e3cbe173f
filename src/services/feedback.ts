/**
 * Feedback from the app: bug reports and suggestions, anonymous unless the sender was signed in. Contact
 * data is removed before anything is stored, and reports are deleted after the retention period.
 */
import { randomUUID } from 'node:crypto';
import type { FeedbackRepository, FeedbackRow } from '../db/repositories/feedback.js';
import type { FeedbackStatus } from '../db/schema.js';
import { notFound, unprocessable } from '../errors.js';
import type { Clock } from './clock.js';
import type { Pseudonymizer } from './pseudonym.js';
import { DAYS } from './rate-limiter.js';
import { scrubContactData, scrubEmails, scrubEmailsDeep } from './scrub.js';

export const FEEDBACK_STATUSES = ['new', 'resolved', 'dismissed'] as const satisfies readonly FeedbackStatus[];
export const DESCRIPTION_MAX_LENGTH = 5000;
export const APP_STATE_MAX_BYTES = 32 * 1024;

/** As the app sends it: optional fields may be missing or null. */
export interface FeedbackInput {
  description: string;
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

export class FeedbackService {
  constructor(
    private readonly repository: FeedbackRepository,
    private readonly clock: Clock,
    private readonly pseudonym: Pseudonymizer,
    private readonly retentionDays: number,
  ) {}

  /** Stores a scrubbed report; `userId` links it to a signed-in sender so that it is erased with them. */
  async submit(input: FeedbackInput, userId: string | null = null): Promise<{ id: string }> {
    if (input.description.trim() === '') throw unprocessable('description: must not be empty');
    let appState: string | null = null;
    if (input.app_state !== undefined && input.app_state !== null) {
      if (Buffer.byteLength(JSON.stringify(input.app_state)) > APP_STATE_MAX_BYTES) {
        throw unprocessable(`app_state: must be at most ${APP_STATE_MAX_BYTES / 1024} KB of JSON`);
      }
      appState = JSON.stringify(scrubEmailsDeep(input.app_state));
    }
    const metadata = (value: string | null | undefined) => (value === undefined || value === null ? null : scrubEmails(value));
    const id = randomUUID();
    await this.repository.insert({
      id,
      user_id: userId,
      description: scrubContactData(input.description),
      app_version: metadata(input.app_version),
      build_number: metadata(input.build_number),
      platform: metadata(input.platform),
      device_model: metadata(input.device_model),
      os_version: metadata(input.os_version),
      app_state: appState,
      created_at: this.clock.now().toISOString(),
    });
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
