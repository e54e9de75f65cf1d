/**
 * Repairs RFC 2047 encoded words whose charset label is wrong, before the
 * MIME parser decodes them: `=?ISO-2022-JP?B?...?=` holding Shift_JIS
 * bytes, `=?us-ascii?Q?caf=E9?=`, `=?utf-8?...?=` holding Latin-1. Such a
 * word is rewritten with the right label and the same bytes; words that
 * decode well are left exactly as they are.
 */

import { chooseCharset } from './charset-choice.js';
import { decodeCharset, normaliseCharsetLabel } from './charsets.js';

// RFC 2047 section 2: an encoded word has no blanks and no `?` inside.
const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

// Adjacent words are one run when only folding white space parts them;
// a character may be split across them (RFC 2047 section 6.2).
const BETWEEN_WORDS = /^[ \t]*(\r?\n[ \t]+)?[ \t]*$/;

interface EncodedWord {
  readonly start: number;
  readonly end: number;
  readonly label: string;
  readonly bytes: Buffer;
}

/**
 * Relabels the encoded words of a header section whose bytes the label
 * would garble.
 *
 * @param header header text, one byte per character (latin1)
 * @param hints normalised charsets the message names elsewhere
 * @returns the header with bad runs of words rewritten as one base64 word
 *   in the better charset; the same string when none needed it
 * @example
 * repairEncodedWords('Subject: =?us-ascii?Q?caf=E9?=', []);
 * // 'Subject: =?windows-1252?B?Y2Fm6Q==?='
 */
export function repairEncodedWords(
  header: string,
  hints: readonly string[],
): string {
  if (!header.includes('=?')) {
    return header;
  }
  let repaired = '';
  let copied = 0;
  for (const run of findRuns(header)) {
    const first = run[0];
    const last = run.at(-1);
    if (first === undefined || last === undefined) {
      continue;
    }
    const bytes = Buffer.concat(run.map((word) => word.bytes));
    const charset = chooseCharset(bytes, first.label, hints);
    if (charset === undefined) {
      continue;
    }
    repaired += `${header.slice(copied, first.start)}=?${charset}?B?${bytes.toString('base64')}?=`;
    copied = last.end;
  }

  return copied === 0 ? header : repaired + header.slice(copied);
}

/**
 * Decodes the encoded words of an unfolded header value; white space
 * between adjacent words goes, as RFC 2047 section 6.2 says.
 *
 * @param value an unfolded header value
 * @returns the decoded text; a word in an unknown charset stays encoded
 * @example
 * decodeEncodedWords('=?utf-8?Q?Gr=C3=BC=C3=9Fe?= aus Köln');
 * // 'Grüße aus Köln'
 */
export function decodeEncodedWords(value: string): string {
  let decoded = '';
  let copied = 0;
  for (const run of findRuns(value)) {
    const first = run[0];
    const last = run.at(-1);
    const text =
      first === undefined
        ? undefined
        : decodeCharset(
            Buffer.concat(run.map((word) => word.bytes)),
            first.label,
          );
    if (first === undefined || last === undefined || text === undefined) {
      continue;
    }
    decoded += value.slice(copied, first.start) + text;
    copied = last.end;
  }

  return decoded + value.slice(copied);
}

/** Runs of adjacent words with the same label. */
function findRuns(header: string): EncodedWord[][] {
  const runs: EncodedWord[][] = [];
  let previous: EncodedWord | undefined;
  for (const match of header.matchAll(ENCODED_WORD)) {
    const word = readWord(match);
    if (word === undefined) {
      previous = undefined;
      continue;
    }
    const run = runs.at(-1);
    const joined =
      previous !== undefined &&
      run !== undefined &&
      previous.label === word.label &&
      BETWEEN_WORDS.test(header.slice(previous.end, word.start));
    if (joined) {
      run.push(word);
    } else {
      runs.push([word]);
    }
    previous = word;
  }

  return runs;
}

function readWord(match: RegExpMatchArray): EncodedWord | undefined {
  const [whole, charset = '', encoding = '', text = ''] = match;
  // RFC 2231 section 5 lets a language follow the charset: `utf-8*de`.
  const label = normaliseCharsetLabel(charset.split('*')[0]);
  if (label === undefined || match.index === undefined) {
    return undefined;
  }

  return {
    start: match.index,
    end: match.index + whole.length,
    label,
    bytes:
      encoding.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64')
        : decodeQ(text),
  };
}

/** RFC 2047 "Q": `_` is a space, `=XX` a byte. */
function decodeQ(text: string): Buffer {
  const latin1 = text
    .replace(/_/g, ' ')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );

  return Buffer.from(latin1, 'latin1');
}
