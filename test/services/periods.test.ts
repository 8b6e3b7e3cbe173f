import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firstPublicationDate, isClosed, latestClosedPeriod, monthRange, periodsBetween } from '../../src/services/periods.js';

describe('statistics periods', () => {
  test('month ranges know month lengths and leap years', () => {
    assert.deepEqual(monthRange('2024-02'), { first: '2024-02-01', last: '2024-02-29' });
    assert.deepEqual(monthRange('2026-02'), { first: '2026-02-01', last: '2026-02-28' });
    assert.deepEqual(monthRange('2026-12'), { first: '2026-12-01', last: '2026-12-31' });
  });

  test('a month closes the day after its last day plus the grace days', () => {
    assert.equal(firstPublicationDate('2026-01', 7), '2026-02-08');
    assert.equal(firstPublicationDate('2025-12', 0), '2026-01-01');
    assert.equal(isClosed('2026-01', '2026-02-07', 7), false);
    assert.equal(isClosed('2026-01', '2026-02-08', 7), true);
    assert.equal(latestClosedPeriod('2026-02-07', 7), '2025-12');
    assert.equal(latestClosedPeriod('2026-02-08', 7), '2026-01');
    assert.equal(latestClosedPeriod('2026-03-01', 0), '2026-02');
    assert.equal(latestClosedPeriod('2026-03-31', 0), '2026-02', 'never the current month');
    assert.equal(latestClosedPeriod('2026-03-15', 60), '2025-12');
  });

  test('periodsBetween spans year ends', () => {
    assert.deepEqual(periodsBetween('2025-11', '2026-02'), ['2025-11', '2025-12', '2026-01', '2026-02']);
    assert.deepEqual(periodsBetween('2026-03', '2026-02'), []);
  });
});
