/**
 * Repairs raw 8-bit bytes in a message's top-level header section before the
 * MIME parser reads it. RFC 5322 headers are ASCII; RFC 6532 allows UTF-8.
 * Old clients still send Latin-1, GB2312 or Shift_JIS bytes with no label,
 * and a parser that assumes UTF-8 turns them into U+FFFD. Lines that are
 * valid UTF-8 are left alone.
 */

import { guessCharset, pickHintedCharset } from './charset-detect.js';
import {
  decodeCharset,
  FALLBACK_CHARSET,
  hasHighBytes,
  isAsciiLabel,
  isKnownCharset,
  isMostlyUtf8,
  isUtf8,
  normaliseCharsetLabel,
  widerForms,
} from './charsets.js';

// A charset label is looked for only this far into the body, so a huge body
// without one is not scanned end to end.
const MAX_CHARSET_SCAN_BYTES = 64 * 1024;

const CHARSET_PARAM = /charset\s*=\s*"?([A-Za-z0-9._:-]+)/i;

/**
 * Returns the raw message with every header line that is not valid UTF-8
 * transcoded to UTF-8; the body bytes are untouched.
 *
 * A line that is UTF-8 with a few damaged bytes stays UTF-8. The others
 * share one charset: the first `charset=` label of the message (top-level
 * header first, then the start of the body) or a wider form of it, when it
 * decodes them cleanly; otherwise the charset detected from those lines.
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

  const lines = splitLines(header);
  const damaged = lines.filter(
    (line) => hasHighBytes(line) && !isUtf8(line) && !isMostlyUtf8(line),
  );
  const charset = chooseHeaderCharset(
    Buffer.concat(damaged),
    candidateCharsets(raw, headerEnd),
  );
  const repaired = lines.map((line) =>
    hasHighBytes(line) && !isUtf8(line)
      ? Buffer.from(decodeLine(line, charset), 'utf8')
      : line,
  );

  return Buffer.concat([...repaired, raw.subarray(headerEnd)]);
}

function chooseHeaderCharset(
  damaged: Buffer,
  candidates: readonly string[],
): string {
  if (damaged.length === 0) {
    return FALLBACK_CHARSET;
  }

  return pickHintedCharset(damaged, candidates) ?? guessCharset(damaged, []);
}

function decodeLine(line: Buffer, charset: string): string {
  if (isMostlyUtf8(line)) {
    return line.toString('utf8');
  }

  return (
    decodeCharset(line, charset) ??
    decodeCharset(line, FALLBACK_CHARSET) ??
    line.toString('latin1')
  );
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

/** The labelled charset and its wider relatives, if there is a label. */
function candidateCharsets(raw: Buffer, headerEnd: number): string[] {
  const label = findCharsetLabel(raw, headerEnd);

  return label === undefined ? [] : [label, ...widerForms(label)];
}

/**
 * The first charset label of the message, unless it is one that cannot
 * describe header lines that failed the UTF-8 check: UTF-8 itself, ASCII,
 * the 16-bit forms, or a label nobody knows.
 */
function findCharsetLabel(raw: Buffer, headerEnd: number): string | undefined {
  const header = raw.subarray(0, headerEnd).toString('latin1');
  const body = raw
    .subarray(headerEnd, headerEnd + MAX_CHARSET_SCAN_BYTES)
    .toString('latin1');
  const label = normaliseCharsetLabel(
    (CHARSET_PARAM.exec(header) ?? CHARSET_PARAM.exec(body))?.[1],
  );
  const usable =
    label !== undefined &&
    !isAsciiLabel(label) &&
    !/^(utf|ucs)/.test(label) &&
    isKnownCharset(label);

  return usable ? label : undefined;
}
