import { createHash, randomBytes } from 'node:crypto';
import { loadCorpus } from '../../test/support/corpus.js';

/** Size the generated messages aim at (issue #6: "~20 KB"). */
export const GENERATED_MESSAGE_BYTES = 20 * 1024;

/** At this many generated messages the whole corpus is mixed in. */
const GENERATED_FOR_WHOLE_CORPUS = 2000;

/** Every this-many generated messages is a customer's reply to an earlier one. */
const REPLY_EVERY = 5;

const CRLF = '\r\n';
const BASE64_LINE_CHARS = 76;

const WORDS = (
  'printer queue toner paper jam office floor network cable laptop screen ' +
  'password reset account locked invoice payment order delivery parcel ' +
  'refund warranty serial number error code restart update version driver ' +
  'please could you check again today tomorrow urgent thanks regards since ' +
  'morning after before meeting room projector monitor keyboard mouse dock'
).split(' ');

/** The mail one measurement starts from, and what it is made of. */
export interface MailboxSeed {
  /** Messages in delivery order. */
  readonly messages: readonly Buffer[];
  readonly generated: number;
  readonly fromCorpus: number;
  readonly totalBytes: number;
}

/**
 * Builds the mailbox every retrieval measurement starts from: `generated`
 * ~20 KB messages (text and HTML alternatives, unique Message-IDs, every
 * fifth a reply to an earlier one) with corpus mail spread evenly among
 * them: the whole corpus for 2000 generated messages, proportionally fewer
 * for a shorter run.
 *
 * @param generated how many messages to generate
 * @returns the messages and their make-up
 */
export function buildMailboxSeed(generated: number): MailboxSeed {
  const token = randomBytes(6).toString('hex');
  const own = Array.from({ length: generated }, (_, index) =>
    generateMessage(index, token),
  );
  const corpus = pickCorpus(generated);
  const messages: Buffer[] = [];
  let mixedIn = 0;
  own.forEach((message, index) => {
    messages.push(message);
    // Spread evenly: corpus mail keeps pace with the generated share done.
    const due = Math.floor((corpus.length * (index + 1)) / own.length);
    for (; mixedIn < due; mixedIn += 1) {
      messages.push(corpus[mixedIn] as Buffer);
    }
  });
  messages.push(...corpus.slice(mixedIn));

  return {
    messages,
    generated,
    fromCorpus: messages.length - generated,
    totalBytes: messages.reduce((sum, message) => sum + message.length, 0),
  };
}

function pickCorpus(generated: number): Buffer[] {
  const all = loadCorpus();
  const wanted = Math.min(
    all.length,
    Math.ceil((all.length * generated) / GENERATED_FOR_WHOLE_CORPUS),
  );
  const step = all.length / Math.max(wanted, 1);

  return Array.from({ length: wanted }, (_, index) =>
    (all[Math.floor(index * step)] ?? all[0])?.bytes(),
  ).filter((bytes): bytes is Buffer => bytes !== undefined);
}

/**
 * Generates one support request of about {@link GENERATED_MESSAGE_BYTES},
 * the same bytes for the same index and token.
 *
 * @param index position in the mailbox; also seeds the text
 * @param token makes the Message-IDs unique to this seed
 * @returns the message with CRLF line ends
 */
export function generateMessage(index: number, token: string): Buffer {
  const next = seededRandom(index + 1);
  const customer = `customer${index % 97}`;
  const isReply = index >= REPLY_EVERY && index % REPLY_EVERY === 0;
  const boundary = `bench-${token}-${index}`;
  const date = new Date(Date.UTC(2026, 11, 1, 8) + index * 60_000);
  const headers = [
    `From: "Customer ${index % 97}" <${customer}@example.com>`,
    'To: support@example.net',
    `Subject: ${isReply ? 'Re: ' : ''}${sentence(next, 6)} (${index})`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId(index, token)}`,
    ...(isReply
      ? [
          `In-Reply-To: ${messageId(index - REPLY_EVERY, token)}`,
          `References: ${messageId(index - REPLY_EVERY, token)}`,
        ]
      : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const half = (GENERATED_MESSAGE_BYTES - 900) / 2;
  const text = paragraphs(next, half);
  const html = `<html><body><p>${paragraphs(next, half - 40)
    .split(CRLF)
    .join(`</p>${CRLF}<p>`)}</p></body></html>`;

  return Buffer.from(
    [
      ...headers,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      `--${boundary}--`,
      '',
    ].join(CRLF),
    'utf8',
  );
}

/**
 * Builds one message of about `bytes` bytes: a short text body and a
 * base64 PDF attachment of random bytes, the shape of a large real
 * support mail.
 *
 * @param bytes the size to reach
 * @returns the message with CRLF line ends
 */
export function buildLargeMessage(bytes: number): Buffer {
  const head = [
    'From: "Large Sender" <large@example.com>',
    'To: support@example.net',
    'Subject: Scanned contract with all appendices',
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-large-${randomBytes(6).toString('hex')}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="bench-large"',
    '',
    '--bench-large',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Please find the scanned contract attached.',
    '--bench-large',
    'Content-Type: application/pdf; name="contract.pdf"',
    'Content-Disposition: attachment; filename="contract.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join(CRLF);
  const tail = `${CRLF}--bench-large--${CRLF}`;
  const encodedBytes = bytes - head.length - tail.length;
  const lineBytes = BASE64_LINE_CHARS + CRLF.length;
  const lines = Math.floor(encodedBytes / lineBytes);
  const raw = randomBytes((lines * BASE64_LINE_CHARS * 3) / 4);
  const encoded = raw.toString('base64');
  const body: string[] = [];
  for (let at = 0; at < encoded.length; at += BASE64_LINE_CHARS) {
    body.push(encoded.slice(at, at + BASE64_LINE_CHARS));
  }

  return Buffer.from(head + body.join(CRLF) + tail, 'latin1');
}

function messageId(index: number, token: string): string {
  return `<bench-${index}.${token}@example.com>`;
}

function paragraphs(next: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${sentence(next, 11)}.`;
    lines.push(line);
    size += line.length + CRLF.length;
  }

  return lines.join(CRLF);
}

function sentence(next: () => number, words: number): string {
  const picked = Array.from(
    { length: words },
    () => WORDS[Math.floor(next() * WORDS.length)] ?? 'mail',
  );
  const text = picked.join(' ');

  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Numbers in [0, 1) derived from SHA-256 in counter mode: the same seed
 * gives the same text on every machine.
 */
function seededRandom(seed: number): () => number {
  let block = Buffer.alloc(0);
  let offset = 0;
  let counter = 0;

  return () => {
    if (offset + 2 > block.length) {
      block = createHash('sha256').update(`${seed}:${counter}`).digest();
      counter += 1;
      offset = 0;
    }
    const value = block.readUInt16BE(offset) / 65_536;
    offset += 2;
    return value;
  };
}
