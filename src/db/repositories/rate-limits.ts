import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../index.js';
import type { DB } from '../schema.js';
import { lockedTransaction } from '../transactions.js';

export class RateLimitRepository {
  constructor(
    private readonly database: Database,
    private readonly db: Kysely<DB> = database.db,
  ) {}

  /**
   * Runs `work` with this repository inside a transaction that no other process's `serialised` for the same
   * bucket interleaves with: a count and the hit that follows it are one step.
   */
  serialised<T>(bucket: string, work: (repository: RateLimitRepository) => Promise<T>): Promise<T> {
    return lockedTransaction(this.database, `rate-limit:${bucket}`, (trx) => work(new RateLimitRepository(this.database, trx)));
  }

  async insertHit(bucket: string, at: Date): Promise<string> {
    const id = randomUUID();
    await this.db.insertInto('rate_limit_hits').values({ id, bucket, hit_at: at.toISOString() }).execute();
    return id;
  }

  /** Number of hits after `since`, and the oldest of them. */
  async window(bucket: string, since: Date): Promise<{ count: number; oldest: string | null }> {
    const row = await this.db
      .selectFrom('rate_limit_hits')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('hit_at').as('oldest')])
      .where('bucket', '=', bucket)
      .where('hit_at', '>', since.toISOString())
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), oldest: row.oldest ?? null };
  }

  async deleteHit(id: string): Promise<void> {
    await this.db.deleteFrom('rate_limit_hits').where('id', '=', id).execute();
  }

  async purgeBefore(before: Date): Promise<number> {
    const result = await this.db.deleteFrom('rate_limit_hits').where('hit_at', '<', before.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
