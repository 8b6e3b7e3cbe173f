/** Frequently called routes log only warnings and worse, and never more than LOG_LEVEL allows. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestApp } from '../helpers/app.js';

const ADMIN_WRONG = { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` };

async function linesLogged(logLevel: string): Promise<{ msg: string; level: number }[]> {
  const lines: string[] = [];
  const t = await createTestApp({ env: { LOG_LEVEL: logLevel, ADMIN_PASSWORD: 'right-password' }, logDestination: { write: (l: string) => lines.push(l) } });
  try {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    await t.app.inject({ method: 'GET', url: '/admin/data', headers: ADMIN_WRONG });
    await t.app.inject({ method: 'GET', url: '/taxonomy' });
  } finally {
    await t.close();
  }
  return lines.map((l) => JSON.parse(l));
}

describe('quiet routes', () => {
  test('at LOG_LEVEL=info: ordinary routes log their requests, polled ones only their warnings', async () => {
    const records = await linesLogged('info');
    const messages = records.map((r) => r.msg);
    assert.ok(messages.includes('admin login failed'), 'a warning on a quiet route is kept');
    const urls = records.filter((r) => r.msg === 'incoming request').map((r) => (r as unknown as { req: { url: string } }).req.url);
    assert.deepEqual(urls, ['/taxonomy'], 'request lines only for the route that is not quiet');
  });

  test('at LOG_LEVEL=error: a quiet route does not log warnings either', async () => {
    const records = await linesLogged('error');
    assert.deepEqual(records.filter((r) => r.level < 50), []);
  });
});
