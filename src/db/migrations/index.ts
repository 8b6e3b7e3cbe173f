/**
 * The ordered list of migrations. Imported statically (not read from the file system) so that the same
 * list works from TypeScript sources, from the built `dist/` and inside the Docker image.
 * Add new migrations at the end; never edit one that has shipped.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_rate_limits.js';
import * as m0003 from './0003_accounts.js';
import * as m0004 from './0004_work_event_updates.js';
import * as m0005 from './0005_statistics.js';
import * as m0006 from './0006_feedback.js';
import * as m0007 from './0007_app_v2.js';
import * as m0008 from './0008_import_original.js';
import * as m0009 from './0009_statistics_v2.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_rate_limits': m0002,
  '0003_accounts': m0003,
  '0004_work_event_updates': m0004,
  '0005_statistics': m0005,
  '0006_feedback': m0006,
  '0007_app_v2': m0007,
  '0008_import_original': m0008,
  '0009_statistics_v2': m0009,
};
