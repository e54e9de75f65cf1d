/**
 * Reads the attachments out of a TNEF stream (`winmail.dat`,
 * `application/ms-tnef`), the wrapper Outlook and Exchange put around a
 * message's files when they send rich text (MS-OXTNEF). Only attachment
 * records are read: the file name (attAttachTitle, or the long name among
 * the attachment's MAPI properties), its bytes (attAttachData), MIME type
 * and Content-ID. The stream is hostile input: every length is checked
 * against the bytes that are left, and every count has a limit.
 */

import { decodeString8, readMapiProperties } from './tnef-mapi.js';

/** Most attributes read from one stream; blocks attribute floods. */
export const MAX_TNEF_ATTRIBUTES = 10_000;
/** Most attachments taken from one stream; the rest are dropped. */
export const MAX_TNEF_ATTACHMENTS = 100;

/** An attachment found in a TNEF stream. */
export interface TnefAttachment {
  /** The long file name, else the short one; absent when it has none. */
  readonly filename?: string;
  /** The MIME type the sender's client recorded, lower-case. */
  readonly contentType?: string;
  /** Content-ID without angle brackets. */
  readonly contentId?: string;
  /** The file's bytes (a view into the stream). */
  readonly content: Buffer;
}

const TNEF_SIGNATURE = 0x223e9f78;
// Signature (4 bytes) and legacy key (2 bytes).
const STREAM_HEADER_BYTES = 6;
// Level (1), id (4), length (4) before the data; checksum (2) after it.
const ATTRIBUTE_OVERHEAD_BYTES = 11;
const LEVEL_ATTACHMENT = 0x02;

const ATT_OEM_CODEPAGE = 0x00069007;
const ATT_ATTACH_REND_DATA = 0x00069002;
const ATT_ATTACH_TITLE = 0x00018010;
const ATT_ATTACH_DATA = 0x0006800f;
const ATT_ATTACHMENT = 0x00069005;

const PR_ATTACH_LONG_FILENAME = 0x3707;
const PR_ATTACH_FILENAME = 0x3704;
const PR_ATTACH_MIME_TAG = 0x370e;
const PR_ATTACH_CONTENT_ID = 0x3712;

interface Draft {
  title?: string;
  longName?: string;
  shortName?: string;
  contentType?: string;
  contentId?: string;
  content?: Buffer;
}

function isTnef(bytes: Buffer): boolean {
  return (
    bytes.length >= STREAM_HEADER_BYTES &&
    bytes.readUInt32LE(0) === TNEF_SIGNATURE
  );
}

/**
 * Lists the attachments of a TNEF stream. A stream cut short or corrupt
 * midway yields the attachments read before the damage; an attachment
 * record without data is skipped.
 *
 * @param bytes the whole stream
 * @returns the attachments with data, in stream order; none when the bytes
 *   are not TNEF or hold no attachment
 * @example
 * readTnefAttachments(winmailDat).map((file) => file.filename);
 */
export function readTnefAttachments(bytes: Buffer): TnefAttachment[] {
  if (!isTnef(bytes)) {
    return [];
  }
  const drafts: Draft[] = [];
  let codepage = 'windows-1252';
  let offset = STREAM_HEADER_BYTES;
  for (let count = 0; count < MAX_TNEF_ATTRIBUTES; count += 1) {
    if (offset + ATTRIBUTE_OVERHEAD_BYTES > bytes.length) {
      break;
    }
    const level = bytes.readUInt8(offset);
    const id = bytes.readUInt32LE(offset + 1);
    const length = bytes.readUInt32LE(offset + 5);
    const start = offset + 9;
    if (length > bytes.length - start - 2) {
      break;
    }
    // The checksum after the data is not checked: the lengths already bound
    // every read, and one bad sum is no reason to lose the other files.
    const data = bytes.subarray(start, start + length);
    offset = start + length + 2;

    if (id === ATT_OEM_CODEPAGE && length >= 4) {
      codepage = codepageCharset(data.readUInt32LE(0));
    } else if (id === ATT_ATTACH_REND_DATA) {
      if (drafts.length >= MAX_TNEF_ATTACHMENTS) {
        break;
      }
      drafts.push({});
    } else if (level === LEVEL_ATTACHMENT) {
      const draft = drafts.at(-1);
      if (draft !== undefined) {
        readAttachmentAttribute(draft, id, data, codepage);
      }
    }
  }

  return drafts.flatMap(toAttachment);
}

function readAttachmentAttribute(
  draft: Draft,
  id: number,
  data: Buffer,
  codepage: string,
): void {
  switch (id) {
    case ATT_ATTACH_TITLE:
      draft.title = decodeString8(data, codepage);
      break;
    case ATT_ATTACH_DATA:
      draft.content = data;
      break;
    case ATT_ATTACHMENT:
      for (const property of readMapiProperties(data, codepage)) {
        applyProperty(draft, property.id, property.text);
      }
      break;
  }
}

function applyProperty(
  draft: Draft,
  id: number,
  text: string | undefined,
): void {
  if (text === undefined || text === '') {
    return;
  }
  switch (id) {
    case PR_ATTACH_LONG_FILENAME:
      draft.longName = text;
      break;
    case PR_ATTACH_FILENAME:
      draft.shortName = text;
      break;
    case PR_ATTACH_MIME_TAG:
      draft.contentType = text.toLowerCase();
      break;
    case PR_ATTACH_CONTENT_ID:
      draft.contentId = text.replace(/^<|>$/g, '');
      break;
  }
}

function toAttachment(draft: Draft): TnefAttachment[] {
  if (draft.content === undefined) {
    return [];
  }
  const filename = draft.longName ?? draft.title ?? draft.shortName;

  return [
    {
      ...(filename === undefined ? {} : { filename }),
      ...(draft.contentType === undefined
        ? {}
        : { contentType: draft.contentType }),
      ...(draft.contentId === undefined ? {} : { contentId: draft.contentId }),
      content: draft.content,
    },
  ];
}

/** Code page 65001 is UTF-8; the others are Windows code pages. */
function codepageCharset(codepage: number): string {
  return codepage === 65001 ? 'utf-8' : `cp${codepage}`;
}
