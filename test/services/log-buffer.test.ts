import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LogBuffer } from '../../src/services/log-buffer.js';

const line = (level: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level, time: Date.UTC(2026, 2, 15, 10, 0, 0), pid: 1, hostname: 'h', msg, ...extra }) + '\n';

describe('log buffer', () => {
  test('keeps only the most recent records, newest first', () => {
    const buffer = new LogBuffer(5);
    for (let i = 1; i <= 12; i++) buffer.write(line(30, `record ${i}`));
    assert.equal(buffer.size, 5);
    assert.deepEqual(
      buffer.query().map((r) => r.msg),
      ['record 12', 'record 11', 'record 10', 'record 9', 'record 8'],
    );
  });

  test('warnings and errors outlive a flood of ordinary records', () => {
    const buffer = new LogBuffer(10);
    buffer.write(line(30, 'before'));
    buffer.write(line(40, 'admin login failed'));
    buffer.write(line(50, 'smtp refused'));
    for (let i = 1; i <= 50; i++) buffer.write(line(30, `request ${i}`));
    assert.deepEqual(buffer.query({ level: 'warn' }).map((r) => r.msg), ['smtp refused', 'admin login failed']);
    assert.deepEqual(buffer.query({ search: 'login failed' }).map((r) => r.msg), ['admin login failed']);
    const all = buffer.query({ limit: 100 }).map((r) => r.msg);
    assert.deepEqual(all.slice(0, 2), ['request 50', 'request 49']);
    assert.deepEqual(all.slice(-2), ['smtp refused', 'admin login failed'], 'after the newest ordinary records, in time order');
    assert.equal(all.length, 12);
    assert.equal(buffer.size, 12);
  });

  test('parses records: time, level name, message, other fields without pid and hostname', () => {
    const buffer = new LogBuffer();
    buffer.write(line(40, 'slow query', { reqId: 'req-7', ms: 1200 }));
    assert.deepEqual(buffer.query(), [
      { time: '2026-03-15T10:00:00.000Z', level: 'warn', msg: 'slow query', fields: { reqId: 'req-7', ms: 1200 } },
    ]);
  });

  test('filters by minimum level and case-insensitive text, then limits', () => {
    const buffer = new LogBuffer();
    buffer.write(line(20, 'debug detail'));
    buffer.write(line(30, 'request completed', { url: '/work-events' }));
    buffer.write(line(40, 'SMTP slow'));
    buffer.write(line(50, 'smtp refused', { err: { message: 'ECONNREFUSED' } }));
    buffer.write(line(60, 'out of memory'));
    assert.deepEqual(buffer.query({ level: 'warn' }).map((r) => r.msg), ['out of memory', 'smtp refused', 'SMTP slow']);
    assert.deepEqual(buffer.query({ search: 'smtp' }).map((r) => r.msg), ['smtp refused', 'SMTP slow']);
    assert.deepEqual(buffer.query({ level: 'error', search: 'smtp' }).map((r) => r.msg), ['smtp refused']);
    assert.deepEqual(buffer.query({ search: 'econnrefused' }).map((r) => r.msg), ['smtp refused'], 'fields are searched too');
    assert.deepEqual(buffer.query({ search: 'WORK-EVENTS' }).map((r) => r.msg), ['request completed']);
    assert.deepEqual(buffer.query({ limit: 2 }).map((r) => r.msg), ['out of memory', 'smtp refused']);
  });

  test('an oversized record is cut to a bounded size but keeps level and time', () => {
    const buffer = new LogBuffer();
    buffer.write(line(50, 'x'.repeat(100_000)));
    const [record] = buffer.query();
    assert.equal(record?.level, 'error');
    assert.equal(record?.time, '2026-03-15T10:00:00.000Z');
    assert.ok(record!.msg.length <= 16 * 1024);
    assert.equal(record?.fields.truncated, true);
  });

  test('tee writes every line to the operator stream and keeps it', () => {
    const buffer = new LogBuffer();
    const written: string[] = [];
    const stream = buffer.tee({ write: (l: string) => written.push(l) });
    stream.write(line(30, 'started'));
    assert.equal(written.length, 1);
    assert.equal(buffer.query()[0]?.msg, 'started');
  });
});
