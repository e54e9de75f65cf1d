/**
 * Finds which message a bounce reports on, so the bounce can be put on the
 * incident whose reply bounced. The best evidence is the returned message
 * (or its header) attached to the report; the DSN's own fields and headers
 * quoted in the body are weaker fallbacks.
 */
import { extractMessageIds, normaliseMessageId } from '../mail/message-id.js';
import type { ParsedAttachment, ParsedMessage } from '../mail/parse-message.js';
import { headerSection, readFieldBlock } from './header-fields.js';

/**
 * Most Message-IDs taken from a bounce; each may cost a store lookup. The
 * returned message's id, In-Reply-To and newest References come first.
 */
export const MAX_BOUNCED_MESSAGE_IDS = 20;

/** Most attached parts looked into; a bounce returns one or two. */
export const MAX_RETURNED_PARTS_READ = 5;

/**
 * Characters of the text body searched for quoted headers; MTAs that
 * return the message inline put its header near the top.
 */
export const MAX_BODY_SCAN_CHARS = 64 * 1024;

/** Parts that hold the returned message or its header section. */
const RETURNED_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'text/rfc822-header',
  'message/rfc822-headers',
  'message/global-headers',
]);

const REPORT_PART_TYPES: ReadonlySet<string> = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
]);

// A quoted `Message-ID:` line, possibly indented or quoted with `>`.
const QUOTED_MESSAGE_ID = /^[ \t>]*message-id:[ \t]*(<[^<>\r\n]{1,500}>)/gim;

/** What a bounce says about the message that bounced. */
export interface BouncedMessage {
  /** Ids to look incidents up by, most telling first, without brackets. */
  readonly messageIds: string[];
  /** The returned message's raw Subject, when the report includes it. */
  readonly subject?: string;
}

/**
 * Reads the bounced message's identity from a bounce.
 *
 * @param parsed the bounce
 * @returns the ids (the bounce's own id excluded) and the original subject
 */
export function findBouncedMessage(parsed: ParsedMessage): BouncedMessage {
  const own = parsed.messageId?.toLowerCase();
  const ids: string[] = [];
  const add = (candidates: readonly (string | undefined)[]) => {
    for (const id of candidates) {
      if (id === undefined || id.toLowerCase() === own) continue;
      if (!ids.some((known) => known.toLowerCase() === id.toLowerCase())) {
        ids.push(id);
      }
    }
  };
  const returned = parsed.attachments
    .filter((part) => RETURNED_MESSAGE_TYPES.has(part.contentType))
    .slice(0, MAX_RETURNED_PARTS_READ);
  let subject: string | undefined;
  for (const part of returned) {
    const fields = readFieldBlock(headerSection(part.content));
    add(idsOfReturnedHeader(fields));
    subject ??= fields.get('subject')?.[0];
  }
  add(idsOfReportParts(parsed.attachments));
  add(idsQuotedInBody(parsed.text));

  return {
    messageIds: ids.slice(0, MAX_BOUNCED_MESSAGE_IDS),
    ...(subject === undefined ? {} : { subject }),
  };
}

/** Its own id, then what it replied to, then its thread newest first. */
function idsOfReturnedHeader(fields: Map<string, string[]>): string[] {
  const messageId = fields.get('message-id')?.[0];

  return [
    ...(messageId === undefined ? [] : [normaliseMessageId(messageId)]),
    ...extractMessageIds(fields.get('in-reply-to') ?? []),
    ...extractMessageIds(fields.get('references') ?? []).reverse(),
  ].filter((id): id is string => id !== undefined);
}

/** Some MTAs name the original message in the delivery-status fields. */
function idsOfReportParts(attachments: readonly ParsedAttachment[]): string[] {
  return attachments
    .filter((part) => REPORT_PART_TYPES.has(part.contentType))
    .slice(0, MAX_RETURNED_PARTS_READ)
    .flatMap((part) => {
      const fields = readFieldBlock(part.content.toString('latin1'));

      return extractMessageIds([
        ...(fields.get('original-message-id') ?? []),
        ...(fields.get('x-original-message-id') ?? []),
      ]);
    });
}

function idsQuotedInBody(text: string): string[] {
  const scanned = text.slice(0, MAX_BODY_SCAN_CHARS);

  return extractMessageIds(
    [...scanned.matchAll(QUOTED_MESSAGE_ID)].map((match) => match[1] ?? ''),
  );
}
