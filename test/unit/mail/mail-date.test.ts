import { describe, expect, it } from 'vitest';
import { parseMailDate } from '../../../functions/mail/mail-date.js';

function iso(value: string): string | undefined {
  return parseMailDate(value)?.toISOString();
}

describe('parseMailDate', () => {
  it.each([
    ['Fri, 04 Dec 2026 10:00:00 +0100', '2026-12-04T09:00:00.000Z'],
    ['4 Dec 2026 10:00:00 -0000', '2026-12-04T10:00:00.000Z'],
    ['Fri, 4 Dec 2026 10:00 +0530', '2026-12-04T04:30:00.000Z'],
    ['Fri,  4 Dec 2026 10:00:00 +0100 (CET)', '2026-12-04T09:00:00.000Z'],
    ['Friday, 4 December 2026 10:00:00 +0100', '2026-12-04T09:00:00.000Z'],
  ])('reads the RFC 5322 form %s', (value, expected) => {
    expect(iso(value)).toBe(expected);
  });

  it.each([
    ['Fri, 4 Dec 26 10:00:00 +0000', '2026-12-04T10:00:00.000Z'],
    ['Sat, 4 Dec 99 10:00:00 +0000', '1999-12-04T10:00:00.000Z'],
    ['Sat, 4 Dec 104 10:00:00 +0000', '2004-12-04T10:00:00.000Z'],
  ])(
    'reads the obsolete year in %s as RFC 5322 4.3 says',
    (value, expected) => {
      expect(iso(value)).toBe(expected);
    },
  );

  it.each([
    ['Fri, 4 Dec 2026 10:00:00 EST', '2026-12-04T15:00:00.000Z'],
    ['Fri, 4 Dec 2026 10:00:00 PDT', '2026-12-04T17:00:00.000Z'],
    ['Fri, 4 Dec 2026 10:00:00 GMT', '2026-12-04T10:00:00.000Z'],
    ['Fri, 4 Dec 2026 10:00:00 UT', '2026-12-04T10:00:00.000Z'],
    ['Fri, 4 Dec 2026 10:00:00 GMT+0100', '2026-12-04T09:00:00.000Z'],
    ['Fri, 4 Dec 2026 10:00:00 +01:00', '2026-12-04T09:00:00.000Z'],
  ])('reads the zone of %s', (value, expected) => {
    expect(iso(value)).toBe(expected);
  });

  it.each([
    'Fri, 4 Dec 2026 10:00:00',
    'Fri, 4 Dec 2026 10:00:00 Q',
    'Fri, 4 Dec 2026 10:00:00 CEST',
  ])('reads a missing, military or unknown zone in %s as UTC', (value) => {
    expect(iso(value)).toBe('2026-12-04T10:00:00.000Z');
  });

  it.each([
    ['Fri Dec  4 10:00:00 2026', '2026-12-04T10:00:00.000Z'],
    ['2026-12-04T10:00:00+01:00', '2026-12-04T09:00:00.000Z'],
    ['2026-12-04 10:00:00Z', '2026-12-04T10:00:00.000Z'],
    ['Dec 4, 2026 9:15 PM', '2026-12-04T21:15:00.000Z'],
    ['Dec 4, 2026 12:15 AM', '2026-12-04T00:15:00.000Z'],
    ['Fri, 4 Dec 2026 23:59:60 +0000', '2026-12-04T23:59:59.000Z'],
  ])('reads the non-RFC form %s', (value, expected) => {
    expect(iso(value)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    'Fri, 31 Feb 2026 10:00:00 +0000',
    'Fri, 4 Dec 2026 25:00:00 +0000',
    'Fri, 4 Dec 2026 10:61:00 +0000',
    'Fri, 4 Foo 2026 10:00:00 +0000',
    'Thu, 1 Jan 1960 00:00:00 +0000',
    'Fri, 4 Dec 2026',
    `Fri, 4 Dec 2026 10:00:00 ${'(x)'.repeat(100)}`,
  ])('returns undefined for %j', (value) => {
    expect(parseMailDate(value)).toBeUndefined();
  });

  it('does not depend on the host time zone', () => {
    const before = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      expect(iso('4 Dec 2026 10:00:00')).toBe('2026-12-04T10:00:00.000Z');
    } finally {
      if (before === undefined) {
        delete process.env.TZ;
      } else {
        process.env.TZ = before;
      }
    }
  });
});
