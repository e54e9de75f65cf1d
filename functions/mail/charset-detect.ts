/**
 * Guessing the charset of 8-bit text that carries no usable label: from
 * the charsets the message names elsewhere, else from a statistical
 * detector (chardet, an ICU port) reading a sample of the bytes.
 */

import { analyse } from 'chardet';
import { decodesCleanly, FALLBACK_CHARSET } from './charsets.js';

/**
 * Most bytes given to the detector; it reads a sample, so a large body
 * costs no more than this.
 */
export const MAX_DETECT_BYTES = 64 * 1024;

// Below this confidence, or with fewer 8-bit bytes than this to go on, the
// detector's first answer is a coin toss between charsets a short sample
// cannot tell apart; windows-1252, the most common one, is then the safer.
const MIN_DETECT_CONFIDENCE = 30;
const MIN_DETECT_HIGH_BYTES = 4;

/**
 * Picks the charset the message itself suggests: of the hints that decode
 * the bytes cleanly, the one the detector ranks highest (the first such
 * hint when the detector names none of them). A label the sender's client
 * wrote elsewhere is better evidence than statistics on a short sample.
 *
 * @param bytes the encoded text
 * @param hints normalised charset labels, most likely first
 * @returns one of the hints, or undefined when none decodes the bytes
 * @example
 * pickHintedCharset(eucJpBytes, ['shift_jis', 'euc-jp']); // 'euc-jp'
 */
export function pickHintedCharset(
  bytes: Uint8Array,
  hints: readonly string[],
): string | undefined {
  const sample = detectorSample(bytes);
  const clean = hints.filter((hint) => decodesCleanly(sample, hint));
  if (clean.length <= 1) {
    return clean[0];
  }
  const confidence = new Map(
    analyse(sample).map(({ name, confidence }) => [
      name.toLowerCase(),
      confidence,
    ]),
  );
  const rank = (hint: string): number => confidence.get(hint) ?? 0;

  return clean.reduce((best, hint) => (rank(hint) > rank(best) ? hint : best));
}

/**
 * Guesses the charset of 8-bit text that is not UTF-8: a hinted charset
 * (see {@link pickHintedCharset}) first, then the detector's first answer
 * when it is confident, then {@link FALLBACK_CHARSET}.
 *
 * @param bytes the encoded text
 * @param hints normalised charset labels the message names, if any
 * @returns a charset label iconv-lite or TextDecoder knows
 * @example
 * guessCharset(Buffer.from('Grüße aus Köln', 'latin1'), []);
 * // 'ISO-8859-1'
 */
export function guessCharset(
  bytes: Uint8Array,
  hints: readonly string[],
): string {
  const hinted = pickHintedCharset(bytes, hints);
  if (hinted !== undefined) {
    return hinted;
  }
  const sample = detectorSample(bytes);
  if (countHighBytes(sample) < MIN_DETECT_HIGH_BYTES) {
    return FALLBACK_CHARSET;
  }
  const best = analyse(sample).find(
    ({ name }) => name !== 'ASCII' && decodesCleanly(sample, name),
  );

  return best !== undefined && best.confidence >= MIN_DETECT_CONFIDENCE
    ? best.name
    : FALLBACK_CHARSET;
}

function countHighBytes(bytes: Uint8Array): number {
  let count = 0;
  for (const byte of bytes) {
    count += byte >= 0x80 ? 1 : 0;
  }

  return count;
}

/** The first bytes, cut at a line end so no character is split. */
function detectorSample(bytes: Uint8Array): Uint8Array {
  if (bytes.length <= MAX_DETECT_BYTES) {
    return bytes;
  }
  const sample = bytes.subarray(0, MAX_DETECT_BYTES);
  const lineEnd = sample.lastIndexOf(0x0a);

  return lineEnd > 0 ? sample.subarray(0, lineEnd) : sample;
}
