/**
 * The limits of {@link parseMessage}: their defaults, each with the abuse it
 * blocks, and the check of per-call options.
 */

import { ValidationError } from '../commons/errors.js';

/** Largest message accepted; simpleParser buffers every part in memory. */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
/**
 * Most lines in a message. mailparser spends about 2 µs on every line, so
 * a message of nothing but short lines would cost it 45 s at the size
 * limit; real mail wraps at 76 to 998 characters and stays far below.
 */
export const MAX_MESSAGE_LINES = 1_000_000;
/** Most top-level header lines; blocks header bombs aimed at classifiers. */
export const MAX_HEADER_LINES = 1000;
/** Largest header block of one MIME part; blocks unbounded header buffering. */
export const MAX_HEADER_BYTES = 256 * 1024;
/**
 * Most MIME parts, the message itself included; blocks part bombs (a
 * million empty parts cost the parser a node object each).
 */
export const MAX_MIME_PARTS = 500;
/**
 * Deepest multipart nesting. Real mail nests mixed, related and alternative
 * a few levels deep, and forwarded mail is an attached message, not a
 * deeper level; hundreds of levels only exhaust recursive tree walks.
 */
export const MAX_MIME_DEPTH = 32;
/** Most attachments kept; the rest are dropped, not stored. */
export const MAX_ATTACHMENTS = 100;
/** Longest HTML body kept, in characters; also caps HTML-to-text work. */
export const MAX_HTML_CHARS = 2 * 1024 * 1024;
/** Longest plain text body kept, in characters. */
export const MAX_TEXT_CHARS = 1024 * 1024;
/** Most To plus Cc addresses kept; blocks oversized incident records. */
export const MAX_RECIPIENTS = 500;
/** Most In-Reply-To or References ids kept; each may cost a lookup. */
export const MAX_THREAD_IDS = 100;

/** Per-call limits; each defaults to the constant of the same name. */
export interface ParseMessageOptions {
  /** @default MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** @default MAX_MESSAGE_LINES */
  readonly maxMessageLines?: number;
  /** @default MAX_HEADER_LINES */
  readonly maxHeaderLines?: number;
  /** @default MAX_MIME_PARTS */
  readonly maxMimeParts?: number;
  /** @default MAX_MIME_DEPTH */
  readonly maxMimeDepth?: number;
  /** @default MAX_ATTACHMENTS */
  readonly maxAttachments?: number;
  /** @default MAX_HTML_CHARS */
  readonly maxHtmlChars?: number;
  /** @default MAX_TEXT_CHARS */
  readonly maxTextChars?: number;
}

/** Every limit, resolved. */
export type ParseLimits = Required<ParseMessageOptions>;

const DEFAULT_LIMITS: ParseLimits = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxMessageLines: MAX_MESSAGE_LINES,
  maxHeaderLines: MAX_HEADER_LINES,
  maxMimeParts: MAX_MIME_PARTS,
  maxMimeDepth: MAX_MIME_DEPTH,
  maxAttachments: MAX_ATTACHMENTS,
  maxHtmlChars: MAX_HTML_CHARS,
  maxTextChars: MAX_TEXT_CHARS,
};

// An option may tighten a limit or loosen it this far, never switch it off:
// a caller's typo must not become an unbounded parse.
const LIMIT_CEILING_FACTOR = 4;

/**
 * Resolves per-call options against the defaults.
 *
 * @param options the caller's options
 * @returns every limit
 * @throws ValidationError when an option is unknown or out of range
 */
export function resolveLimits(options: ParseMessageOptions): ParseLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(options)) {
    if (!(name in DEFAULT_LIMITS)) {
      throw new ValidationError(
        `options.${name}`,
        `parseMessage has no option ${name}; use one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`,
      );
    }
    const key = name as keyof ParseLimits;
    const ceiling = DEFAULT_LIMITS[key] * LIMIT_CEILING_FACTOR;
    if (value === undefined) {
      continue;
    }
    if (!Number.isSafeInteger(value) || value < 1 || value > ceiling) {
      throw new ValidationError(
        `options.${name}`,
        `options.${name} must be a whole number from 1 to ${ceiling}`,
      );
    }
    limits[key] = value;
  }

  return limits;
}
