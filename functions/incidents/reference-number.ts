/**
 * Reference numbers of incidents, `YYMMDD-NNNNNN`: the UTC day the incident
 * was created and that day's counter, zero-padded to six digits and longer
 * once a day has more than 999999 incidents.
 */

// Six digits, or more without a leading zero (the form the formatter makes
// past 999999); at most nine, so an unrelated long digit run never matches.
const COUNTER = String.raw`(?:\d{6}|[1-9]\d{6,8})`;
const REFERENCE = String.raw`\d{6}-${COUNTER}`;

// Guards for a number standing alone: no digit, letter, sign or separator
// glued to either side, so phone numbers (+49-261204-000123), part numbers
// and longer digit runs are not taken for reference numbers.
const BEFORE = String.raw`(?<![\w+./-])`;
const AFTER = String.raw`(?!\w|[-./]\d)`;

const TAGGED_PATTERN = new RegExp(
  String.raw`(?:\[\s*(?:incident|ref)\s*[:#]?\s*(${REFERENCE})\s*\]|\bincident\s*[:#]?\s*(${REFERENCE})${AFTER}|#(${REFERENCE})${AFTER})`,
  'gi',
);
const BARE_PATTERN = new RegExp(`${BEFORE}(${REFERENCE})${AFTER}`, 'g');
const WHOLE_PATTERN = new RegExp(`^${REFERENCE}$`);

/**
 * Formats a reference number.
 *
 * @param date the creation time; its UTC day is used
 * @param counter that day's counter, from 1
 * @returns e.g. `261204-000123`
 * @throws RangeError when the date is invalid or the counter is not a
 *   positive whole number
 * @example
 * formatReferenceNumber(new Date('2026-12-04T10:00:00Z'), 123);
 * // '261204-000123'
 */
export function formatReferenceNumber(date: Date, counter: number): string {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('reference number date is not a valid date');
  }
  if (!Number.isSafeInteger(counter) || counter < 1) {
    throw new RangeError(
      `reference number counter must be a whole number from 1, got ${counter}`,
    );
  }
  const year = String(date.getUTCFullYear() % 100).padStart(2, '0');
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, '0');

  return `${year}${month}${day}-${String(counter).padStart(6, '0')}`;
}

/**
 * Tells whether a string is a well-formed reference number with a real
 * calendar date.
 *
 * @param value the candidate, e.g. from a URL path
 * @returns true for `261204-000123`, false for `261304-000123`
 */
export function isReferenceNumber(value: string): boolean {
  return WHOLE_PATTERN.test(value) && hasCalendarDate(value);
}

/**
 * Finds the reference numbers in a subject, without duplicates. Tagged ones
 * come first (`[Incident: …]`, `[Ref: …]`, `Incident …`, `#…`), then bare
 * ones, each group in order of appearance. Numbers whose date part is not a
 * real calendar date are ignored.
 *
 * @param subject the decoded subject
 * @returns the reference numbers, most trustworthy first
 * @example
 * findReferenceNumbers('Re: [Incident: 261204-000123] Printer');
 * // ['261204-000123']
 */
export function findReferenceNumbers(subject: string): string[] {
  const tagged = [...subject.matchAll(TAGGED_PATTERN)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
  const bare = [...subject.matchAll(BARE_PATTERN)].map(
    (match) => match[1] ?? '',
  );

  return [...new Set([...tagged, ...bare])].filter(hasCalendarDate);
}

/**
 * The tag put in the subject of outgoing mail, so replies thread back.
 *
 * @param referenceNumber a valid reference number
 * @returns `[Incident: <referenceNumber>]`
 * @throws RangeError when the reference number is not valid
 * @example
 * subjectTag('261204-000123'); // '[Incident: 261204-000123]'
 */
export function subjectTag(referenceNumber: string): string {
  if (!isReferenceNumber(referenceNumber)) {
    throw new RangeError(
      `"${referenceNumber}" is not a reference number (YYMMDD-NNNNNN)`,
    );
  }

  return `[Incident: ${referenceNumber}]`;
}

function hasCalendarDate(reference: string): boolean {
  const year = 2000 + Number(reference.slice(0, 2));
  const month = Number(reference.slice(2, 4));
  const day = Number(reference.slice(4, 6));
  const date = new Date(Date.UTC(year, month - 1, day));

  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
