/**
 * `npm run import:original -- --from <postgres URL of the original> [--dry-run] [--email-hash-secret-confirmed]`
 * imports the original backend's database into the configured one (docs/migrating.md). Prints a progress
 * line every few seconds, then the counts per table on both sides; exits 1 on a refusal or any mismatch.
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { OriginalImportRepository } from '../db/repositories/original-import.js';
import { OriginalSourceRepository } from '../db/repositories/original-source.js';
import { PersonalDataRepository } from '../db/repositories/personal-data.js';
import { UserRepository } from '../db/repositories/users.js';
import { systemClock } from '../services/clock.js';
import { ImportRefused, OriginalImportService, type ImportReport } from '../services/import-original.js';
import { configOrExit, exitWithError } from './common.js';

const USAGE = 'usage: npm run import:original -- --from postgresql://user:pass@host:5432/owh [--dry-run] [--email-hash-secret-confirmed]';

let args;
try {
  args = parseArgs({
    options: {
      from: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'email-hash-secret-confirmed': { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
    },
  }).values;
} catch (error) {
  exitWithError(USAGE, error);
}
const from = args.from?.trim();
if (!from || !/^postgres(ql)?:\/\//.test(from)) exitWithError(USAGE, 'the original database must be given as a postgresql:// URL');
const batchSize = args['batch-size'] === undefined ? undefined : Number(args['batch-size']);
if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) exitWithError(USAGE, '--batch-size must be a positive whole number');

const config = configOrExit();
const database = openDatabase(config.database);
const source = new OriginalSourceRepository(from);
let exitCode = 0;
try {
  await migrateToLatest(database.db);
  const service = new OriginalImportService({
    config,
    clock: systemClock,
    source,
    target: new OriginalImportRepository(database.db),
    users: new UserRepository(database.db),
    personalData: new PersonalDataRepository(database.db),
  });
  const started = Date.now();
  const report = await service.run({
    dryRun: args['dry-run'],
    emailHashSecretConfirmed: args['email-hash-secret-confirmed'],
    batchSize,
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(formatReport(report, Date.now() - started));
  if (report.mismatches.length > 0) exitCode = 1;
} catch (error) {
  if (error instanceof ImportRefused) {
    process.stderr.write(`Import refused: ${error.message}\n`);
    exitCode = 1;
  } else {
    exitWithError('Import failed', error);
  }
} finally {
  await source.close();
  await database.destroy();
}
process.exit(exitCode);

function formatReport(report: ImportReport, ms: number): string {
  const lines = [
    `${report.dryRun ? 'Dry run (nothing written)' : 'Import finished'} in ${(ms / 1000).toFixed(1)} s. EMAIL_HASH_SECRET ${report.secretCheck}.`,
    `Users erased here because they were deleted in the original: ${report.erasedSinceLastRun}.`,
    '',
    `${'table'.padEnd(26)}${'original'.padStart(12)}${'here'.padStart(12)}${report.dryRun ? 'to import'.padStart(12) : 'imported'.padStart(12)}${'skipped'.padStart(10)}`,
    ...report.tables.map(
      (t) => `${t.table.padEnd(26)}${String(t.source).padStart(12)}${String(t.target).padStart(12)}${String(t.imported).padStart(12)}${String(t.skipped).padStart(10)}${t.source === t.target ? '' : '  MISMATCH'}`,
    ),
    '',
    'Not carried over:',
    ...report.notCarried.map((n) => `  ${n.what} (${n.rows} rows): ${n.why}`),
  ];
  if (report.notes.length > 0) lines.push('', 'Notes:', ...report.notes.map((n) => `  ${n}`));
  lines.push(
    '',
    report.mismatches.length === 0
      ? 'All counts match.'
      : `Counts differ (${report.mismatches.join('; ')}): the original changed during the run, or rows were skipped; run the import again.`,
  );
  return `${lines.join('\n')}\n`;
}
