/**
 * Repairs raw 8-bit bytes in a message's top-level header section before the
 * MIME parser reads it. RFC 5322 headers are ASCII; RFC 6532 allows UTF-8.
 * Old clients still send Latin-1, GB2312 or Shift_JIS bytes with no label,
 * and a parser that assumes UTF-8 turns them into U+FFFD. Lines that are
 * valid UTF-8 are left alone.
 */

import { TextDecoder } from 'node:util';

/**
 * Charset assumed when the message names none (or names UTF-8 wrongly).
 * Node 20.18.3 and later decode its 0x80-0x9F bytes as Latin-1 C1 controls
 * instead of the euro sign and smart quotes (nodejs/node#60888).
 */
const FALLBACK_CHARSET = 'windows-1252';

// A charset label is looked for only this far into the body, so a huge body
// without one is not scanned end to end.
const MAX_CHARSET_SCAN_BYTES = 64 * 1024;

const CHARSET_PARAM = /charset\s*=\s*"?([A-Za-z0-9._:-]+)/i;

// ISO-2022-JP is 7-bit, so 8-bit header bytes in a message labelled with it
// come from a Japanese client that wrote its local 8-bit encoding instead.
const EIGHT_BIT_FORMS: Readonly<Record<string, readonly string[]>> = {
  'iso-2022-jp': ['shift_jis', 'euc-jp'],
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const fallbackDecoder = new TextDecoder(FALLBACK_CHARSET);

/**
 * Returns the raw message with every header line that is not valid UTF-8
 * transcoded to UTF-8; the body bytes are untouched.
 *
 * The charset of such lines is guessed from the first `charset=` parameter
 * of the message (top-level header first, then the start of the body); a
 * line that charset cannot decode is read as windows-1252, the usual
 * superset of Latin-1.
 *
 * @param raw the message bytes as received
 * @returns `raw` itself when nothing needed repair, otherwise a new buffer
 * @example
 * repairHeaderCharset(Buffer.from('Subject: caf\xe9\r\n\r\n', 'latin1'))
 *   .toString(); // 'Subject: café\r\n\r\n'
 */
export function repairHeaderCharset(raw: Buffer): Buffer {
  const headerEnd = findHeaderEnd(raw);
  const header = raw.subarray(0, headerEnd);
  if (!hasHighBytes(header) || isUtf8(header)) {
    return raw;
  }

  const decoders = candidateCharsets(raw, headerEnd).map(
    (charset) => new TextDecoder(charset, { fatal: true }),
  );
  const lines = splitLines(header).map((line) =>
    hasHighBytes(line) && !isUtf8(line)
      ? Buffer.from(decodeLine(line, decoders), 'utf8')
      : line,
  );

  return Buffer.concat([...lines, raw.subarray(headerEnd)]);
}

/** Offset of the blank line that ends the header section (or the end). */
function findHeaderEnd(raw: Buffer): number {
  let offset = raw.indexOf(0x0a);
  while (offset !== -1) {
    const next = raw[offset + 1];
    if (next === 0x0a || (next === 0x0d && raw[offset + 2] === 0x0a)) {
      return offset + 1;
    }
    offset = raw.indexOf(0x0a, offset + 1);
  }

  return raw.length;
}

function hasHighBytes(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte >= 0x80) {
      return true;
    }
  }

  return false;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Splits after each LF, keeping the line endings with their lines. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  let end = bytes.indexOf(0x0a);
  while (end !== -1) {
    lines.push(bytes.subarray(start, end + 1));
    start = end + 1;
    end = bytes.indexOf(0x0a, start);
  }
  if (start < bytes.length) {
    lines.push(bytes.subarray(start));
  }

  return lines;
}

/**
 * The first candidate that decodes the line without error wins; the
 * fallback maps every byte, so it always succeeds.
 */
function decodeLine(line: Buffer, decoders: readonly TextDecoder[]): string {
  for (const decoder of decoders) {
    try {
      return decoder.decode(line);
    } catch {
      // not this charset; try the next
    }
  }

  return fallbackDecoder.decode(line);
}

/** The labelled charset and its 8-bit relatives, if there is a label. */
function candidateCharsets(raw: Buffer, headerEnd: number): string[] {
  const label = findCharsetLabel(raw, headerEnd);
  if (label === undefined) {
    return [];
  }
  const { encoding } = new TextDecoder(label);

  return [encoding, ...(EIGHT_BIT_FORMS[encoding] ?? [])];
}

function findCharsetLabel(raw: Buffer, headerEnd: number): string | undefined {
  const header = raw.subarray(0, headerEnd).toString('latin1');
  const body = raw
    .subarray(headerEnd, headerEnd + MAX_CHARSET_SCAN_BYTES)
    .toString('latin1');
  const label = (CHARSET_PARAM.exec(header) ?? CHARSET_PARAM.exec(body))?.[1];

  return label !== undefined && isUsableLabel(label) ? label : undefined;
}

// Labels that cannot describe single header lines that failed UTF-8 checks:
// UTF-8 itself, the 16-bit forms, and WHATWG's refusal decoder.
const UNUSABLE_ENCODINGS = new Set([
  'utf-8',
  'utf-16le',
  'utf-16be',
  'replacement',
]);

function isUsableLabel(label: string): boolean {
  try {
    return !UNUSABLE_ENCODINGS.has(new TextDecoder(label).encoding);
  } catch {
    return false;
  }
}
