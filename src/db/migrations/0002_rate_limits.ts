/**
 * Rate-limit hits live in the database, not in process memory, so that a limit holds across every server
 * process behind the load balancer.
 */
import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);
  await db.schema
    .createTable('rate_limit_hits')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('hit_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_hits_bucket_hit_at_idx').on('rate_limit_hits').columns(['bucket', 'hit_at']).execute();
  await db.schema.createIndex('rate_limit_hits_hit_at_idx').on('rate_limit_hits').column('hit_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limit_hits').execute();
}
