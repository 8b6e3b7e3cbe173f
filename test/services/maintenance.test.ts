import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DailyMaintenance } from '../../src/services/maintenance.js';

describe('daily maintenance', () => {
  test('runs every job in order; a failing job is logged and does not stop the others', async () => {
    const logged: string[] = [];
    const log = (level: string) => (_fields: object, message?: string) => void logged.push(`${level}: ${message}`);
    const maintenance = new DailyMaintenance({ info: log('info'), warn: log('warn'), error: log('error') });
    const ran: string[] = [];
    maintenance.register('first', async () => void ran.push('first'));
    maintenance.register('broken', async () => {
      throw new Error('disk full');
    });
    maintenance.register('last', async () => {
      ran.push('last');
      return 3;
    });
    const outcomes = await maintenance.runAll();
    assert.deepEqual(ran, ['first', 'last']);
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.ok, o.error ?? o.result]),
      [
        ['first', true, undefined],
        ['broken', false, 'disk full'],
        ['last', true, 3],
      ],
    );
    assert.deepEqual(
      outcomes.map((o) => o.summary),
      ['done', 'failed: disk full', '3 rows deleted'],
      'the one-line summaries `npm run maintenance` prints',
    );
    assert.deepEqual(logged, ['info: daily maintenance: first done', 'error: daily maintenance: broken failed', 'info: daily maintenance: last done']);
  });
});
