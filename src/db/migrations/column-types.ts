import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * Column types for one migration file that runs on both databases. SQLite has no uuid, timestamp, date or
 * boolean types; it stores those as text (ISO-8601, which sorts chronologically) and integers 0/1.
 */
export function columnTypes(db: Kysely<unknown>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    postgres,
    uuid: postgres ? 'uuid' : 'text',
    timestamp: postgres ? 'timestamptz' : 'text',
    date: postgres ? 'date' : 'text',
    boolean: postgres ? 'boolean' : 'integer',
    float: postgres ? 'double precision' : 'real',
    json: postgres ? 'jsonb' : 'text',
  } as const;
}
