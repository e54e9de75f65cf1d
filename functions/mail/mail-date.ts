/**
 * Reads the Date header the way RFC 5322 section 4.3 asks for obsolete
 * forms, and the way real clients write it: two- and three-digit years,
 * alphabetic zones, comments, missing seconds or zone, a day name or not,
 * asctime order (`Mon Jan  2 15:04:05 2006`) and ISO 8601. It never falls
 * back on `Date.parse`, whose reading of a zone-less date depends on the
 * host's time zone.
 */

/** Earliest year accepted; a Date before this is a sender's broken clock. */
export const MIN_MAIL_YEAR = 1970;
/** Latest year accepted. */
export const MAX_MAIL_YEAR = 9999;

// Longest Date value read; a longer one is not a date.
const MAX_DATE_CHARS = 200;

const MONTHS = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];

// RFC 5322 obs-zone, in minutes east of UTC. Military letters and unknown
// names mean "-0000" (no zone information), which is read as UTC.
const NAMED_ZONES: Readonly<Record<string, number>> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
};

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(z|[+-]\d{2}:?\d{2})?$/i;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const NUMERIC_ZONE = /^(?:gmt|utc|ut)?([+-])(\d{1,2}):?(\d{2})?$/i;

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  offsetMinutes: number;
}

/**
 * Parses a Date header value.
 *
 * @param value the unfolded header value
 * @returns the instant, or undefined when the value is not a readable date
 *   from {@link MIN_MAIL_YEAR} to {@link MAX_MAIL_YEAR}
 * @example
 * parseMailDate('Fri, 4 Dec 26 10:00 EST')?.toISOString();
 * // '2026-12-04T15:00:00.000Z'
 */
export function parseMailDate(value: string): Date | undefined {
  if (value.length > MAX_DATE_CHARS) {
    return undefined;
  }
  const text = value.replace(/\([^()]*\)/g, ' ').trim();
  const parts = readIso(text) ?? readTokens(text);

  return parts === undefined ? undefined : toDate(parts);
}

function readIso(text: string): Parts | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second, zone] = match;

  return {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second ?? 0),
    offsetMinutes: zone === undefined ? 0 : (readZone(zone) ?? 0),
  };
}

/** Reads day, month, year, time and zone from tokens in any usual order. */
function readTokens(text: string): Parts | undefined {
  const numbers: string[] = [];
  let month: number | undefined;
  let time: RegExpExecArray | null = null;
  let offsetMinutes: number | undefined;
  let meridiem: string | undefined;
  for (const token of text.split(/[\s,]+/)) {
    const lower = token.toLowerCase();
    const zone = time === null ? undefined : readZone(lower);
    if (/^\d+$/.test(token)) {
      numbers.push(token);
    } else if (TIME.test(token)) {
      time = TIME.exec(token);
    } else if (lower === 'am' || lower === 'pm') {
      meridiem = lower;
    } else if (zone !== undefined) {
      offsetMinutes ??= zone;
    } else if (month === undefined && /^[a-z]{3,}\.?$/.test(lower)) {
      const index = MONTHS.indexOf(lower.slice(0, 3));
      month = index === -1 ? undefined : index + 1;
    }
  }
  const [first, second] = numbers;
  if (month === undefined || time === null || second === undefined) {
    return undefined;
  }
  const yearFirst = (first?.length ?? 0) >= 3 && second.length <= 2;

  return {
    year: fullYear(yearFirst ? (first ?? '') : second),
    month,
    day: Number(yearFirst ? second : first),
    hour: to24Hour(Number(time[1]), meridiem),
    minute: Number(time[2]),
    second: Number(time[3] ?? 0),
    offsetMinutes: offsetMinutes ?? 0,
  };
}

function to24Hour(hour: number, meridiem: string | undefined): number {
  if (meridiem === 'pm' && hour < 12) {
    return hour + 12;
  }

  return meridiem === 'am' && hour === 12 ? 0 : hour;
}

/** Minutes east of UTC, or undefined when the token is not a zone. */
function readZone(token: string): number | undefined {
  const numeric = NUMERIC_ZONE.exec(token);
  if (numeric !== null) {
    const [, sign, hours = '0', minutes = '0'] = numeric;
    const total = Number(hours) * 60 + Number(minutes);

    return Number(minutes) < 60 && total < 24 * 60
      ? (sign === '-' ? -1 : 1) * total
      : undefined;
  }
  if (/^[a-z]{1,5}$/.test(token)) {
    return NAMED_ZONES[token] ?? 0;
  }

  return undefined;
}

/** RFC 5322 4.3: 00-49 are 2000-2049, 50-99 and 3 digits add 1900. */
function fullYear(digits: string): number {
  const year = Number(digits);
  if (digits.length === 2) {
    return year < 50 ? 2000 + year : 1900 + year;
  }

  return digits.length === 3 ? 1900 + year : year;
}

function toDate(parts: Parts): Date | undefined {
  const { year, month, day, hour, minute, second } = parts;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const valid =
    year >= MIN_MAIL_YEAR &&
    year <= MAX_MAIL_YEAR &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60;
  if (!valid) {
    return undefined;
  }
  // A leap second (:60) is shown as the second before it.
  const utc = Date.UTC(
    year,
    month - 1,
    day,
    hour,
    minute,
    Math.min(second, 59),
  );

  return new Date(utc - parts.offsetMinutes * 60_000);
}
