/**
 * Turns the parser's attachments into {@link ParsedAttachment}s: names
 * cleaned or made up, attached messages named after their subject, and
 * `winmail.dat` replaced by the files inside it.
 */

import { createHash } from 'node:crypto';
import type { Attachment } from 'mailparser';
import {
  cleanFilename,
  contentTypeForFilename,
  fallbackFilename,
  messageFilename,
} from './attachment-names.js';
import { decodeEncodedWords } from './encoded-words.js';
import { readTnefAttachments } from './tnef.js';

/** An attachment with its bytes, as the parser found it. */
export interface ParsedAttachment {
  /** File name from the message, or one made up (see `namedBySender`). */
  filename: string;
  /**
   * False when the message gave no name and `filename` was made up: after
   * an attached message's subject, else `attachment-<n>.<ext>`.
   */
  namedBySender: boolean;
  /** Lower-case MIME type. */
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** SHA-256 of the decoded bytes, lower-case hex. */
  sha256: string;
  /** Content-ID without angle brackets, matched by `cid:` URLs. */
  contentId?: string;
  /**
   * Shown inside the body (inline disposition or multipart/related); never
   * for an attached message, which stays a file.
   */
  inline: boolean;
  /** Decoded bytes. */
  content: Buffer;
}

/** An attachment before it is numbered and named. */
interface FoundAttachment {
  readonly filename?: string;
  readonly contentType: string;
  readonly contentId?: string;
  readonly inline: boolean;
  readonly content: Buffer;
  readonly sha256?: string;
}

// Most header bytes of an attached message read to find its subject.
const MAX_EMBEDDED_HEADER_BYTES = 64 * 1024;

const TNEF_TYPES = new Set(['application/ms-tnef', 'application/vnd.ms-tnef']);

/**
 * Converts the parser's attachments, expanding TNEF, and keeps at most
 * `maxAttachments` of them.
 *
 * @param attachments the parser's attachments, in message order
 * @param maxAttachments how many to keep
 * @returns the attachments, and whether some were dropped
 * @example
 * const { attachments, cut } = readAttachments(mail.attachments, 100);
 */
export function readAttachments(
  attachments: readonly Attachment[],
  maxAttachments: number,
): { attachments: ParsedAttachment[]; cut: boolean } {
  const found = attachments.flatMap((attachment) =>
    expandTnef(fromParser(attachment)),
  );

  return {
    attachments: found.slice(0, maxAttachments).map(toParsed),
    cut: found.length > maxAttachments,
  };
}

function fromParser(attachment: Attachment): FoundAttachment {
  const filename = cleanFilename(attachment.filename);
  const contentId = attachment.cid?.trim() || undefined;
  const contentType = attachment.contentType.toLowerCase();
  const shownInBody =
    attachment.contentDisposition === 'inline' || attachment.related === true;

  return {
    ...(filename === undefined ? {} : { filename }),
    contentType,
    ...(contentId === undefined ? {} : { contentId }),
    // An attached message is never drawn inside the body, whatever its
    // disposition says, so it is listed like any attachment.
    inline: shownInBody && !isMessage(contentType),
    content: attachment.content,
    // checksumAlgo is sha256 in the parser options, so this is the SHA-256.
    sha256: attachment.checksum,
  };
}

/**
 * The files inside a TNEF attachment, or the attachment itself when it
 * is not TNEF or holds no file (the original then stays for the agent).
 */
function expandTnef(attachment: FoundAttachment): FoundAttachment[] {
  const isTnefPart =
    TNEF_TYPES.has(attachment.contentType) ||
    attachment.filename?.toLowerCase() === 'winmail.dat';
  const files = isTnefPart ? readTnefAttachments(attachment.content) : [];
  if (files.length === 0) {
    return [attachment];
  }

  return files.map((file) => {
    const filename = cleanFilename(file.filename);

    return {
      ...(filename === undefined ? {} : { filename }),
      contentType:
        file.contentType ??
        (filename === undefined
          ? 'application/octet-stream'
          : contentTypeForFilename(filename)),
      ...(file.contentId === undefined ? {} : { contentId: file.contentId }),
      inline: false,
      content: file.content,
    };
  });
}

function toParsed(found: FoundAttachment, index: number): ParsedAttachment {
  const derived =
    found.filename === undefined && isMessage(found.contentType)
      ? messageFilename(readEmbeddedSubject(found.content))
      : undefined;

  return {
    filename:
      found.filename ??
      derived ??
      fallbackFilename(found.contentType, index + 1),
    namedBySender: found.filename !== undefined,
    contentType: found.contentType,
    size: found.content.length,
    sha256:
      found.sha256 ?? createHash('sha256').update(found.content).digest('hex'),
    ...(found.contentId === undefined ? {} : { contentId: found.contentId }),
    inline: found.inline,
    content: found.content,
  };
}

function isMessage(contentType: string): boolean {
  return contentType === 'message/rfc822' || contentType === 'message/global';
}

/** The decoded Subject of an attached message; '' when it has none. */
function readEmbeddedSubject(message: Buffer): string {
  const head = message
    .subarray(0, MAX_EMBEDDED_HEADER_BYTES)
    .toString('utf8')
    .split(/\r?\n\r?\n/, 1)[0];
  const field = /(?:^|\n)subject[ \t]*:((?:[^\r\n]|\r?\n[ \t])*)/i.exec(
    head ?? '',
  );

  return decodeEncodedWords((field?.[1] ?? '').replace(/\r?\n/g, '').trim());
}
