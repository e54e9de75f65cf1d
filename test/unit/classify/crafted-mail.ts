import type { ClassifySettings } from '../../../functions/classify/classify-message.js';
import {
  type ParsedMessage,
  parseMessage,
} from '../../../functions/mail/parse-message.js';
import type { AutoReplyDetection } from '../../../functions/model.js';

/** Every detection level, weakest first. */
export const LEVELS: readonly AutoReplyDetection[] = [
  'off',
  'conservative',
  'moderate',
  'aggressive',
];

/** Parts of a crafted message; each has a harmless default. */
export interface CraftedMail {
  readonly from?: string;
  readonly subject?: string;
  readonly messageId?: string;
  /** Extra header lines, e.g. `Auto-Submitted: auto-replied`. */
  readonly headers?: readonly string[];
  /** Content-Type of the whole message. */
  readonly contentType?: string;
  readonly body?: string;
}

/**
 * Parses a crafted message with the real parser, as the classifier sees
 * mail in production.
 *
 * @param parts headers and body
 * @returns the parsed message
 */
export function craft(parts: CraftedMail = {}): Promise<ParsedMessage> {
  const lines = [
    `From: ${parts.from ?? 'Carol Customer <carol@customer.example>'}`,
    'To: support@helpdesk.example',
    `Subject: ${parts.subject ?? 'Printer on floor 3 is jammed'}`,
    'Date: Fri, 04 Dec 2026 09:15:00 +0000',
    `Message-ID: ${parts.messageId ?? '<m1@customer.example>'}`,
    ...(parts.headers ?? []),
    'MIME-Version: 1.0',
    `Content-Type: ${parts.contentType ?? 'text/plain; charset=utf-8'}`,
    '',
    parts.body ?? 'It shows error 42 and will not print.',
    '',
  ];

  return parseMessage(Buffer.from(lines.join('\r\n'), 'utf8'));
}

/**
 * A multipart body with the given parts, each `[content-type, content]`.
 *
 * @param boundary the boundary, also to be named in the Content-Type
 * @param parts the parts in order
 * @returns the body text
 */
export function multipart(
  boundary: string,
  parts: readonly (readonly [string, string])[],
): string {
  const sections = parts.map(
    ([type, content]) =>
      `--${boundary}\r\nContent-Type: ${type}\r\n\r\n${content}`,
  );

  return `${sections.join('\r\n')}\r\n--${boundary}--`;
}

/**
 * Classifier settings: no own addresses or Message-ID domain unless given.
 *
 * @param detection the level
 * @param own our addresses and Message-ID domain
 * @returns the settings
 */
export function settings(
  detection: AutoReplyDetection,
  own: { addresses?: string[]; messageIdDomain?: string } = {},
): ClassifySettings {
  return {
    detection,
    addresses: new Set(own.addresses ?? []),
    messageIdDomain: own.messageIdDomain,
  };
}
