import { sha256Hex } from '../../../functions/mail/message-key.js';
import type { SeededRandom } from './random.js';

/** Kinds of generated mail, each exercising another path of a run. */
export type ChaosMailKind =
  | 'new'
  | 'reply'
  | 'no-message-id'
  | 'attachment'
  | 'auto-reply'
  | 'unparseable';

/** One generated message and what identifies it afterwards. */
export interface ChaosMessage {
  readonly kind: ChaosMailKind;
  /** Unique text in the body; every stored form of the message keeps it. */
  readonly marker: string;
  /** Without angle brackets; absent for kinds that have none. */
  readonly messageId?: string;
  readonly raw: Buffer;
  /** SHA-256 of `raw`: names the message in quarantine. */
  readonly sha256: string;
}

const CRLF = '\r\n';
const MAIL_KINDS: Readonly<Record<ChaosMailKind, number>> = {
  new: 40,
  reply: 15,
  'no-message-id': 12,
  attachment: 10,
  'auto-reply': 8,
  unparseable: 8,
};

/**
 * Generates the mail of one case: unique markers and Message-IDs, replies
 * to earlier messages of the same case, some without any id, some with a
 * base64 attachment large enough for cuts to land inside it, and some the
 * parser rejects.
 *
 * @param random the case's random source
 * @param label unique per case, put into every marker and id
 * @param count how many messages
 * @returns the messages in delivery order
 */
export function generateChaosMail(
  random: SeededRandom,
  label: string,
  count: number,
): ChaosMessage[] {
  const messages: ChaosMessage[] = [];
  for (let index = 0; index < count; index += 1) {
    const kind = random.weighted(MAIL_KINDS);
    const marker = `CHAOS-${label}-${index}-${random.hex(6)}`;
    const earlier = messages.filter((m) => m.messageId !== undefined);
    const parent = earlier.length > 0 ? random.pick(earlier) : undefined;
    messages.push(compose(kind, marker, label, index, random, parent));
  }

  return messages;
}

function compose(
  kind: ChaosMailKind,
  marker: string,
  label: string,
  index: number,
  random: SeededRandom,
  parent: ChaosMessage | undefined,
): ChaosMessage {
  if (kind === 'unparseable') {
    // No header section at all: the parser has nothing to read.
    const raw = Buffer.from(`${marker} arrived without headers${CRLF}`);
    return { kind, marker, raw, sha256: sha256Hex(raw) };
  }
  const messageId =
    kind === 'no-message-id'
      ? undefined
      : `${marker.toLowerCase()}@chaos.example`;
  const headers = [
    `From: Customer ${index} <customer-${label}-${index}@chaos.example>`,
    'To: support@helpdesk.example',
    `Subject: Chaos ${label} message ${index}`,
    'Date: Fri, 04 Dec 2026 09:15:00 +0000',
    'MIME-Version: 1.0',
  ];
  if (messageId) headers.push(`Message-ID: <${messageId}>`);
  if (kind === 'reply' && parent?.messageId) {
    headers.push(`In-Reply-To: <${parent.messageId}>`);
  }
  if (kind === 'auto-reply') headers.push('Auto-Submitted: auto-replied');
  const text = `${marker}${CRLF}Please look into this.${CRLF}`;
  const body =
    kind === 'attachment'
      ? withAttachment(headers, text, random)
      : [...headers, 'Content-Type: text/plain; charset=utf-8', '', text];
  const raw = Buffer.from(body.join(CRLF));

  return { kind, marker, messageId, raw, sha256: sha256Hex(raw) };
}

function withAttachment(
  headers: string[],
  text: string,
  random: SeededRandom,
): string[] {
  const boundary = `b-${random.hex(8)}`;
  const bytes = Buffer.alloc(random.int(20, 300) * 1024);
  for (let at = 0; at < bytes.length; at += 4) {
    bytes.writeUInt32LE(random.int(0, 0xffffffff), at);
  }
  const encoded = bytes.toString('base64').replace(/.{76}/g, `$&${CRLF}`);

  return [
    ...headers,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="log.bin"',
    'Content-Disposition: attachment; filename="log.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    encoded,
    `--${boundary}--`,
    '',
  ];
}
