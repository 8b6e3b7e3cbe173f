import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  EMAIL_PLACEHOLDER,
  PHONE_PLACEHOLDER,
  scrubContactData,
  scrubEmailsDeep,
} from '../../src/services/scrub.js';

describe('scrubbing contact data from feedback', () => {
  test('replaces e-mail addresses, including non-ASCII and sub-addressed ones', () => {
    assert.equal(
      scrubContactData('Mail dr.müller@klinik-berlin.de or Jane.Doe+owh@mail.example.co.uk, thanks'),
      `Mail ${EMAIL_PLACEHOLDER} or ${EMAIL_PLACEHOLDER}, thanks`,
    );
  });

  test('replaces phone numbers as people write them in Germany and abroad', () => {
    for (const phone of [
      '+49 170 1234567',
      '0170 1234567',
      '0170-1234567',
      '(030) 123 456-78',
      '030/1234567',
      '0049 (0)30 12345678',
      '+1 415 555 0100',
      '06221/56-0',
    ]) {
      assert.equal(scrubContactData(`call ${phone} please`), `call ${PHONE_PLACEHOLDER} please`, phone);
    }
  });

  test('leaves dates, times, versions and working-hour figures alone', () => {
    const text =
      'Shift 01.03.2026 to 15.03.2026 (2026-03-01 - 2026-03-15), 08:00-16:30, app 1.4.2 build 87, ' +
      '1440 minutes, 12 10 8 hours, 0 - 600 min';
    assert.equal(scrubContactData(text), text);
  });

  test('an address next to a phone number: both go', () => {
    assert.equal(
      scrubContactData('a.b@c.de/0170 1234567'),
      `${EMAIL_PLACEHOLDER}/${PHONE_PLACEHOLDER}`,
    );
  });

  test('no generated e-mail address survives, wherever it sits in the text', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (email, before, after) => {
        const scrubbed = scrubContactData(`${before} ${email} ${after}`);
        assert.ok(!scrubbed.includes(email), `${email} survived in: ${scrubbed}`);
        assert.ok(!scrubbed.includes('@' + email.split('@')[1]), 'the domain part survived');
      }),
      { numRuns: 300 },
    );
  });

  test('app state: addresses removed from nested keys and values, numbers kept', () => {
    const state = {
      screen: 'login',
      form: { email: 'someone@example.org', 'x@y.de': true, attempts: [1, 'also me@here.net'] },
      lastSync: 1710496800000,
      version: '01701234567',
    };
    assert.deepEqual(scrubEmailsDeep(state), {
      screen: 'login',
      form: { email: EMAIL_PLACEHOLDER, [EMAIL_PLACEHOLDER]: true, attempts: [1, `also ${EMAIL_PLACEHOLDER}`] },
      lastSync: 1710496800000,
      version: '01701234567',
    });
  });
});
