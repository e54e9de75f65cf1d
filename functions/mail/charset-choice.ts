/**
 * Decides whether labelled 8-bit text needs another label, for bodies and
 * encoded words alike: a missing, ASCII or unknown label on bytes that are
 * not UTF-8, UTF-8 under a Latin label, Shift_JIS under ISO-2022-JP.
 */

import { guessCharset, pickHintedCharset } from './charset-detect.js';
import {
  hasHighBytes,
  isAsciiLabel,
  isKnownCharset,
  isMostlyUtf8,
  isMultiByteLabel,
  isUtf8,
  widerForms,
} from './charsets.js';

/**
 * The charset text should be decoded in, when its label would garble it.
 *
 * @param bytes the text's bytes, transfer encoding already removed
 * @param label the normalised label the message gives, if any
 * @param hints normalised 8-bit or CJK labels found elsewhere in the
 *   message, used when the label is no help
 * @returns a better label, or undefined when the label is right (or as
 *   good as anything else) and decoders treat it as UTF-8 when missing
 * @example
 * chooseCharset(Buffer.from('café', 'latin1'), 'us-ascii', []);
 * // 'windows-1252'
 */
export function chooseCharset(
  bytes: Uint8Array,
  label: string | undefined,
  hints: readonly string[],
): string | undefined {
  if (!hasHighBytes(bytes)) {
    return undefined;
  }
  if (
    label === undefined ||
    isAsciiLabel(label) ||
    label === 'utf-8' ||
    label === 'utf8' ||
    !isKnownCharset(label)
  ) {
    return chooseForUnlabelled(bytes, label, hints);
  }
  if (/^(utf|ucs)/.test(label)) {
    return undefined;
  }

  return isMultiByteLabel(label)
    ? chooseForMultiByte(bytes, label, hints)
    : chooseForEightBit(bytes);
}

/**
 * Decoders read a missing or ASCII label as UTF-8, so UTF-8 (even damaged
 * UTF-8) needs a new label only when the old one is unknown.
 */
function chooseForUnlabelled(
  bytes: Uint8Array,
  label: string | undefined,
  hints: readonly string[],
): string | undefined {
  if (isUtf8(bytes) || isMostlyUtf8(bytes)) {
    return label === undefined || isKnownCharset(label) ? undefined : 'utf-8';
  }

  return guessCharset(bytes, hints);
}

/**
 * A CJK label on bytes it cannot decode: a wider form of it, UTF-8, or the
 * message's other charsets, whichever decodes. Otherwise the label stays:
 * a few undecodable bytes in otherwise readable text beat a wrong guess.
 */
function chooseForMultiByte(
  bytes: Uint8Array,
  label: string,
  hints: readonly string[],
): string | undefined {
  if (pickHintedCharset(bytes, [label]) !== undefined) {
    return undefined;
  }
  if (isUtf8(bytes)) {
    return 'utf-8';
  }

  return pickHintedCharset(bytes, [
    ...widerForms(label),
    ...hints.filter((hint) => isMultiByteLabel(hint)),
  ]);
}

/**
 * An 8-bit label maps every byte, so the one mistake that shows is UTF-8
 * under it (valid UTF-8 is vanishingly rare in 8-bit text). Latin-1 bytes
 * 0x80-0x9F need nothing: the decoders read Latin-1 as windows-1252.
 */
function chooseForEightBit(bytes: Uint8Array): string | undefined {
  return isUtf8(bytes) ? 'utf-8' : undefined;
}
