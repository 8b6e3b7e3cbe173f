import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../src/errors.js';
import { RateLimitRepository } from '../../src/db/repositories/rate-limits.js';
import { clientKey, RateLimiter } from '../../src/services/rate-limiter.js';
import { openDatabase } from '../../src/db/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

const isRateLimited = (error: unknown) => error instanceof AppError && error.statusCode === 429;

describe(`database rate limiter (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('allows max hits per window, then 429 with a truthful Retry-After', async () => {
    const limiter = t.app.services.rateLimiter;
    const limits = [{ max: 3, windowMs: 15 * MINUTE }];
    await limiter.hit('sequential', limits);
    t.clock.advance(MINUTE);
    await limiter.hit('sequential', limits);
    await limiter.hit('sequential', limits);
    const refused = await limiter.hit('sequential', limits).then(() => null, (e: unknown) => e);
    assert.ok(isRateLimited(refused));
    assert.equal((refused as AppError).headers['retry-after'], String(14 * 60), 'the first hit leaves the window in 14 minutes');
    t.clock.advance(14 * MINUTE - 1000);
    await assert.rejects(limiter.hit('sequential', limits), isRateLimited, 'refused hits do not count, but the window has not moved yet');
    t.clock.advance(1001);
    await limiter.hit('sequential', limits);
    await limiter.hit('other-bucket', limits);
  });

  test('the strictest of several windows applies', async () => {
    const limiter = t.app.services.rateLimiter;
    const limits = [
      { max: 2, windowMs: 10 * MINUTE },
      { max: 3, windowMs: 60 * MINUTE },
    ];
    await limiter.hit('layered', limits);
    await limiter.hit('layered', limits);
    t.clock.advance(11 * MINUTE);
    await limiter.hit('layered', limits);
    await assert.rejects(limiter.hit('layered', limits), isRateLimited);
  });

  test('of a burst of concurrent hits exactly the limit passes, also from two processes', async () => {
    // Two pools on one PostgreSQL database stand in for two server processes. SQLite serves one process
    // (WEB_CONCURRENCY=1), whose connection takes the hits in turn.
    const other = backend === 'postgres' ? openDatabase(t.config.database) : null;
    try {
      const limiters = [t.app.services.rateLimiter, ...(other ? [new RateLimiter(new RateLimitRepository(other), t.clock)] : [])];
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => limiters[i % limiters.length]!.hit('burst', [{ max: 5, windowMs: 60 * MINUTE }])),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
      for (const r of results) if (r.status === 'rejected') assert.ok(isRateLimited(r.reason), String(r.reason));
      const stored = await t.database.db.selectFrom('rate_limit_hits').select('id').where('bucket', '=', 'burst').execute();
      assert.equal(stored.length, 5, 'refused hits are not recorded');
    } finally {
      await other?.destroy();
    }
  });
});

test('clientKey: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64', () => {
  assert.equal(clientKey('198.51.100.7'), '198.51.100.7');
  assert.equal(clientKey('::ffff:198.51.100.7'), '198.51.100.7');
  assert.equal(clientKey('::FFFF:c633:6407'), '198.51.100.7');
  assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
});
