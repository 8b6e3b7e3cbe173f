import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResponseCache, type Representation } from '../../src/services/response-cache.js';
import { FakeClock } from '../helpers/clock.js';

/** A JSON body of about `bytes` bytes that does not compress away (so the gzip copy counts too). */
function body(bytes: number, seed: number): Representation {
  let text = '';
  let x = seed + 1;
  while (text.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    text += x.toString(36);
  }
  return { body: JSON.stringify(text.slice(0, bytes)), contentType: 'application/json' };
}

describe('response cache bounds', () => {
  test('holds at most its byte budget, however many distinct keys clients ask for', async () => {
    const cache = new ResponseCache(new FakeClock(), 60_000, 1_000_000);
    for (let i = 0; i < 200; i++) {
      const answer = await cache.get(`page-${i}`, async () => body(20_000, i));
      assert.ok(answer.body.length >= 20_000, 'every caller still gets its answer');
      assert.ok(cache.bytes <= 1_000_000, `after ${i + 1} pages the cache holds ${cache.bytes} bytes`);
    }
    assert.ok(cache.size < 200 && cache.size > 10, `keeps the newest pages (${cache.size})`);
    // The newest page is still cached: asking again does not produce it a second time.
    let produced = 0;
    await cache.get('page-199', async () => (produced++, body(10, 0)));
    assert.equal(produced, 0);
  });

  test('an answer larger than the whole budget is served but not kept', async () => {
    const cache = new ResponseCache(new FakeClock(), 60_000, 10_000);
    const answer = await cache.get('huge', async () => body(50_000, 1));
    assert.ok(answer.body.length >= 50_000);
    assert.equal(cache.bytes, 0);
    assert.equal(cache.size, 0);
  });

  test('expired entries go on time, not only when the cache is full', async () => {
    const clock = new FakeClock();
    const cache = new ResponseCache(clock, 60_000, 10_000_000);
    for (let i = 0; i < 20; i++) await cache.get(`page-${i}`, async () => body(1000, i));
    assert.equal(cache.size, 20);
    clock.advance(61_000);
    await cache.get('summary', async () => body(100, 0));
    assert.equal(cache.size, 1, 'only the fresh entry is left');
    assert.ok(cache.bytes < 1000);
  });
});
