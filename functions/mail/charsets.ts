/**
 * Character set facts for mail text whose label is missing or wrong: what
 * labels mean, whether bytes are UTF-8, whether a charset decodes them.
 * Decoding goes through iconv-lite, the library mailparser decodes with, so
 * a label chosen here decodes the same way there.
 */

import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';

/**
 * Charset used when nothing better is known: the superset of Latin-1 that
 * mail clients on Windows write.
 */
export const FALLBACK_CHARSET = 'windows-1252';

const REPLACEMENT = '\ufffd';

const ASCII_LABELS = new Set([
  'ascii',
  'us-ascii',
  'usascii',
  'ansi_x3.4-1968',
  'iso646-us',
  'us',
]);

// Labels that mail means as windows-1252: ASCII and Latin-1 labels on
// bytes 0x80-0x9F are curly quotes and dashes, never C1 controls (WHATWG
// and libmime decode them so too).
const WINDOWS_1252_LABELS = new Set([
  ...ASCII_LABELS,
  'iso-8859-1',
  'iso8859-1',
  'iso_8859-1',
  'latin1',
  'l1',
]);

// Multi-byte charsets a detector may name; all else it names is 8-bit.
const MULTI_BYTE = /^(utf|ucs|gb|big5|shift|sjis|euc|iso-?2022|cp9[3-5]|ks_c)/;

/**
 * Labels that mail clients use for a charset while writing a superset of it
 * (Windows code pages, HKSCS); the superset decodes everything the label
 * does. ISO-2022-JP is 7-bit, so 8-bit bytes under that label come from a
 * Japanese client writing its local 8-bit encoding instead.
 */
const WIDER_FORMS: Readonly<Record<string, readonly string[]>> = {
  gb2312: ['gb18030'],
  gbk: ['gb18030'],
  big5: ['big5hkscs'],
  shift_jis: ['cp932'],
  'euc-kr': ['cp949'],
  'ks_c_5601-1987': ['cp949'],
  'iso-2022-jp': ['shift_jis', 'euc-jp'],
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Lower-cases a charset label and strips quotes and blanks around it.
 *
 * @param label the label as written, if any
 * @returns the normalised label, or undefined when there is none
 */
export function normaliseCharsetLabel(
  label: string | undefined,
): string | undefined {
  const normalised = label
    ?.trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();

  return normalised === undefined || normalised === '' ? undefined : normalised;
}

/**
 * Whether a label names US-ASCII (which WHATWG, unlike mail, maps to
 * windows-1252).
 *
 * @param label a normalised label
 * @returns true for the ASCII aliases
 */
export function isAsciiLabel(label: string): boolean {
  return ASCII_LABELS.has(label);
}

/**
 * Whether a label names a charset of more than one byte per character, so
 * that a wrong guess shows up as undecodable bytes.
 *
 * @param label a normalised label
 * @returns true for the CJK and Unicode families
 */
export function isMultiByteLabel(label: string): boolean {
  return MULTI_BYTE.test(label);
}

/**
 * Labels that decode what the given label decodes and more, as mail
 * clients use them.
 *
 * @param label a normalised label
 * @returns wider charsets to try, possibly none
 * @example
 * widerForms('gb2312'); // ['gb18030']
 */
export function widerForms(label: string): readonly string[] {
  return WIDER_FORMS[label] ?? [];
}

/**
 * Whether any byte is outside US-ASCII.
 *
 * @param bytes the bytes to look at
 * @returns true when a byte is 0x80 or above
 */
export function hasHighBytes(bytes: Uint8Array): boolean {
  return bytes.some((byte) => byte >= 0x80);
}

/**
 * Whether the bytes are well-formed UTF-8.
 *
 * @param bytes the bytes to check
 * @returns true when they decode without error
 */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether bytes that are not clean UTF-8 are still mostly UTF-8, with a
 * few damaged sequences. Text in an 8-bit charset almost never forms valid
 * multi-byte sequences, so more valid sequences than stray bytes means
 * UTF-8 with damage, best shown with a few U+FFFD.
 *
 * @param bytes the bytes to check
 * @returns true when valid multi-byte sequences outnumber stray bytes
 */
export function isMostlyUtf8(bytes: Uint8Array): boolean {
  let sequences = 0;
  let strays = 0;
  let index = 0;
  while (index < bytes.length) {
    const length = utf8SequenceLength(bytes, index);
    if (length > 1) {
      sequences += 1;
      index += length;
    } else {
      strays += length === 0 ? 1 : 0;
      index += 1;
    }
  }

  return sequences > strays;
}

/** 1 for ASCII, 2 to 4 for a valid sequence, 0 for a stray byte. */
function utf8SequenceLength(bytes: Uint8Array, index: number): number {
  const lead = bytes[index] ?? 0;
  if (lead < 0x80) {
    return 1;
  }
  const length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (lead < 0xc2 || lead > 0xf4) {
    return 0;
  }
  for (let next = 1; next < length; next += 1) {
    const byte = bytes[index + next];
    if (byte === undefined || (byte & 0xc0) !== 0x80) {
      return 0;
    }
  }

  return length;
}

/**
 * Whether iconv-lite or the WHATWG decoder knows the charset.
 *
 * @param label a charset label
 * @returns true when {@link decodeCharset} can decode it
 */
export function isKnownCharset(label: string): boolean {
  return decodeCharset(new Uint8Array(0), label) !== undefined;
}

/**
 * Decodes bytes in a charset, if this runtime knows it.
 *
 * @param bytes the encoded bytes
 * @param label a charset label; ASCII and Latin-1 labels read as
 *   windows-1252
 * @returns the text, with U+FFFD for bytes the charset cannot map, or
 *   undefined when the charset is unknown
 */
export function decodeCharset(
  bytes: Uint8Array,
  label: string,
): string | undefined {
  const lower = label.toLowerCase();
  const charset = WINDOWS_1252_LABELS.has(lower) ? FALLBACK_CHARSET : lower;
  if (iconv.encodingExists(charset)) {
    return iconv.decode(Buffer.from(bytes), charset);
  }
  try {
    // iconv-lite lacks ISO-2022-JP, which the WHATWG decoder has.
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Whether the charset is known and maps every byte.
 *
 * @param bytes the encoded bytes
 * @param charset a charset label
 * @returns true when decoding yields no U+FFFD
 */
export function decodesCleanly(bytes: Uint8Array, charset: string): boolean {
  const text = decodeCharset(bytes, charset);

  return text !== undefined && !text.includes(REPLACEMENT);
}
