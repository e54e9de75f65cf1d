import { describe, expect, it } from 'vitest';
import {
  findReferenceNumbers,
  formatReferenceNumber,
  isReferenceNumber,
  subjectTag,
} from '../../../functions/incidents/reference-number.js';

describe('formatReferenceNumber', () => {
  it('formats the UTC day and a six-digit counter', () => {
    expect(formatReferenceNumber(new Date('2026-12-04T10:00:00Z'), 123)).toBe(
      '261204-000123',
    );
  });

  it('uses the UTC day, not the local one', () => {
    expect(
      formatReferenceNumber(new Date('2026-12-04T23:30:00-05:00'), 1),
    ).toBe('261205-000001');
  });

  it('grows past six digits when the counter exceeds 999999', () => {
    const day = new Date('2027-01-09T00:00:00Z');

    expect(formatReferenceNumber(day, 999_999)).toBe('270109-999999');
    expect(formatReferenceNumber(day, 1_000_000)).toBe('270109-1000000');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses the counter %s', (counter) => {
    expect(() => formatReferenceNumber(new Date(), counter)).toThrow(
      RangeError,
    );
  });

  it('refuses an invalid date', () => {
    expect(() => formatReferenceNumber(new Date('nope'), 1)).toThrow(
      RangeError,
    );
  });
});

describe('isReferenceNumber', () => {
  it.each([
    ['261204-000123', true],
    ['240229-000001', true],
    ['270109-1000000', true],
    ['250229-000001', false],
    ['261304-000123', false],
    ['261200-000123', false],
    ['261204-00123', false],
    ['261204-0001234', false],
    [' 261204-000123', false],
  ])('says %s is %s', (value, expected) => {
    expect(isReferenceNumber(value)).toBe(expected);
  });
});

describe('findReferenceNumbers', () => {
  it.each([
    ['Re: [Incident: 261204-000123] Printer', '261204-000123'],
    ['AW: [Ref: 261204-000123]', '261204-000123'],
    ['[ref:261204-000123]', '261204-000123'],
    ['Update on Incident 261204-000123', '261204-000123'],
    ['incident#261204-000123 again', '261204-000123'],
    ['Ticket #261204-000123', '261204-000123'],
    ['about 261204-000123, please', '261204-000123'],
    ['(261204-000123)', '261204-000123'],
    ['Ref: 261204-000123.', '261204-000123'],
    ['[Incident: 270109-1000000]', '270109-1000000'],
  ])('finds the number in %j', (subject, expected) => {
    expect(findReferenceNumbers(subject)).toEqual([expected]);
  });

  it.each([
    ['a phone number with a country code', 'Call +49-261204-000123'],
    ['a phone number with an area code', 'Call 0261204-000123 today'],
    ['a longer counter run', 'Order 261204-00012345'],
    ['a longer date run', 'Order 1261204-000123'],
    ['a number with another group after it', 'Tel 261204-000123-45'],
    ['a dotted number', 'Version 261204-000123.2'],
    ['a number glued to letters', 'SN261204-000123x'],
    ['an impossible month', 'Incident 261304-000123'],
    ['an impossible day', '[Incident: 260230-000001]'],
    ['a counter of five digits', 'Incident 261204-12345'],
    ['a seven-digit counter with a leading zero', '#261204-0123456'],
  ])('ignores %s', (_case, subject) => {
    expect(findReferenceNumbers(subject)).toEqual([]);
  });

  it('lists tagged numbers before bare ones, without repeats', () => {
    const subject =
      'Re: 261203-000001 and [Incident: 261204-000002] (#261204-000002)';

    expect(findReferenceNumbers(subject)).toEqual([
      '261204-000002',
      '261203-000001',
    ]);
  });

  it('returns nothing for an empty subject', () => {
    expect(findReferenceNumbers('')).toEqual([]);
  });
});

describe('subjectTag', () => {
  it('tags a subject with the reference number', () => {
    expect(subjectTag('261204-000123')).toBe('[Incident: 261204-000123]');
  });

  it('round-trips through findReferenceNumbers', () => {
    const ref = formatReferenceNumber(new Date('2026-02-28T12:00:00Z'), 42);

    expect(findReferenceNumbers(`Re: ${subjectTag(ref)} Hello`)).toEqual([ref]);
  });

  it('refuses something that is not a reference number', () => {
    expect(() => subjectTag('261204-12')).toThrow(RangeError);
  });
});
