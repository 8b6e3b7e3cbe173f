import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  EMAIL_PLACEHOLDER,
  PHONE_PLACEHOLDER,
  scrubContactData,
  scrubEmails,
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

  test('an address that percent-decoding would break is still removed as written', () => {
    assert.equal(scrubContactData('from %0a@a.aa today'), `from ${EMAIL_PLACEHOLDER} today`);
    assert.equal(scrubEmails('x %41b@c.de'), `x ${EMAIL_PLACEHOLDER}`);
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

describe('scrubbing cannot be bypassed by how the text is written', () => {
  const E = EMAIL_PLACEHOLDER;
  const P = PHONE_PLACEHOLDER;
  // [case, input, expected]: each input hides the address or number in a way a person or a client may send it.
  const bypasses: [string, string, string][] = [
    ['decomposed umlaut in the domain', 'mail max@klinik-mu\u0308nchen.de now', `mail ${E} now`],
    ['decomposed umlaut in the local part', 'mail ju\u0308rgen@klinik.de now', `mail ${E} now`],
    ['non-breaking spaces in a phone number', 'call +49\u00a030\u00a012345678 now', `call ${P} now`],
    ['narrow no-break and thin spaces', 'call 0170\u202f123\u20094567 now', `call ${P} now`],
    ['percent-encoded @', 'state anna.schmidt%40charite.de end', `state ${E} end`],
    ['percent-encoded @ and dot', 'state anna%40charite%2Ede end', `state ${E} end`],
    ['full-width @', 'mail anna＠charite.de now', `mail ${E} now`],
    ['small commercial at', 'mail anna﹫charite.de now', `mail ${E} now`],
    ['full-width digits', 'call ０１７０ １２３４５６７ now', `call ${P} now`],
    ['zero-width space inside the domain', 'mail anna@char\u200bite.de now', `mail ${E} now`],
    ['soft hyphen inside the domain', 'mail anna@chari\u00adte.de now', `mail ${E} now`],
    ['word joiner before the @', 'mail anna\u2060@charite.de now', `mail ${E} now`],
    ['en-dash separators', 'call 0170\u20131234\u2013567 now', `call ${P} now`],
    ['em-dash and minus sign separators', 'call 030\u20141234\u2212567 now', `call ${P} now`],
    ['non-breaking hyphen', 'call 0170\u20111234567 now', `call ${P} now`],
  ];
  for (const [name, input, expected] of bypasses) {
    test(name, () => assert.equal(scrubContactData(input), expected));
  }

  test('in an app state too (values and keys)', () => {
    assert.deepEqual(scrubEmailsDeep({ login: 'anna.schmidt%40charite.de', 'max@klinik-mu\u0308nchen.de': 1 }), {
      login: EMAIL_PLACEHOLDER,
      [EMAIL_PLACEHOLDER]: 1,
    });
  });

  // Ordinary text keeps every character, including those that normalisation would change.
  const ordinary = [
    'Überstunden: 12 h – von 8–16 Uhr, dann Bereitschaft…',
    'Nachtdienst 22:00\u202f–\u202f06:30, „viel zu lang“ 😩 👩‍⚕️',
    'Die App zeigt 100 % statt 50 %; Version 2.1.4 (Build 87)',
    'Zeitraum 2026–03–01 bis 2026–03–15, Station 4b, Raum ²',
    'ﬁnal: Straße 12, 10115 Berlin, Pfad /a%2Fb, Code %E2%82',
    'Ich arbeite 0 – 600 min; Woche 1 – 12; Tel. folgt',
    'Soft\u00adhyphen and zero\u200bwidth stay in ordinary words',
  ];
  for (const text of ordinary) {
    test(`ordinary text stays untouched: ${text.slice(0, 30)}`, () => assert.equal(scrubContactData(text), text));
  }
});
