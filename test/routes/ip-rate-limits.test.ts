/**
 * Every per-IP limit keys IPv6 clients by their /64 network (one end user usually holds a whole /64, so
 * keying the full address would give them unlimited buckets), IPv4-mapped IPv6 as the IPv4 address, and
 * IPv4 as is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { basicAuth } from '../helpers/admin-seed.js';
import { CONSENT, PROFILE, uniqueEmail } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

interface LimitedCall {
  name: string;
  max: number;
  request: () => InjectOptions;
}

const CALLS: LimitedCall[] = [
  { name: 'code requests', max: 20, request: () => ({ method: 'POST', url: '/auth/request-code', payload: { email: uniqueEmail() } }) },
  { name: 'verifications', max: 30, request: () => ({ method: 'POST', url: '/auth/verify', payload: { email: uniqueEmail(), code: '000000' } }) },
  {
    name: 'token-less registrations',
    max: 20,
    request: () => ({ method: 'POST', url: '/auth/register', payload: { email: uniqueEmail(), hospital_id: 'not_specified', specialty: 'innere_medizin', role_level: 'assistenzarzt', ...PROFILE, ...CONSENT } }),
  },
  { name: 'refreshes', max: 60, request: () => ({ method: 'POST', url: '/auth/refresh' }) },
  { name: 'Apple sign-in', max: 20, request: () => ({ method: 'POST', url: '/auth/apple', payload: { identity_token: 'x.y.z' } }) },
  {
    name: 'social registrations',
    max: 20,
    request: () => ({ method: 'POST', url: '/auth/social/register', payload: { social_registration_token: 'x.y.z', ...PROFILE, ...CONSENT } }),
  },
  { name: 'feedback', max: 10, request: () => ({ method: 'POST', url: '/feedback', payload: { description: 'works' } }) },
  {
    name: 'failed admin logins',
    max: 10,
    request: () => ({ method: 'GET', url: '/admin/data', headers: { authorization: basicAuth('admin', 'wrong') } }),
  },
];

describe(`per-IP limits key IPv6 by /64 (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: 'a-long-admin-password-for-tests' } });
  });
  after(async () => t.close());

  let network = 0;
  for (const call of CALLS) {
    test(`${call.name}: addresses in one /64 share a bucket, another /64 does not`, async () => {
      network++;
      const prefix = `2001:db8:${network.toString(16)}:7`;
      const send = (remoteAddress: string) => t.app.inject({ ...call.request(), remoteAddress });
      for (let i = 1; i <= call.max; i++) {
        const res = await send(`${prefix}::${i.toString(16)}`);
        assert.notEqual(res.statusCode, 429, `request ${i} from its own address`);
      }
      const sameNetwork = await send(`${prefix}:ffff:ffff:ffff:fffe`);
      assert.equal(sameNetwork.statusCode, 429, 'another address of the same /64');
      assert.equal(typeof sameNetwork.json().detail, 'string');
      assert.notEqual((await send(`2001:db8:${network.toString(16)}:8::1`)).statusCode, 429, 'the neighbouring /64');
    });
  }

  test('an IPv4-mapped IPv6 address is the IPv4 address', async () => {
    const send = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/feedback', payload: { description: 'works' }, remoteAddress });
    for (let i = 0; i < 10; i++) assert.equal((await send('203.0.113.50')).statusCode, 201);
    assert.equal((await send('::ffff:203.0.113.50')).statusCode, 429);
    assert.equal((await send('203.0.113.51')).statusCode, 201, 'other IPv4 addresses are their own bucket');
  });
});
