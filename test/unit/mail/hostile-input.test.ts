import { describe, expect, it } from 'vitest';
import { MailParseError } from '../../../functions/mail/errors.js';
import {
  MAX_MESSAGE_LINES,
  MAX_MIME_DEPTH,
  MAX_MIME_PARTS,
  parseMessage,
} from '../../../functions/mail/parse-message.js';

const HEADER = 'From: a@example.com\r\nSubject: hostile\r\n';

async function reasonOf(
  raw: Buffer,
  options?: Parameters<typeof parseMessage>[1],
): Promise<string> {
  const error = await parseMessage(raw, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MailParseError);

  return (error as MailParseError).reason;
}

/** Multiparts nested `depth` levels deep around one text part. */
function nestedMultipart(depth: number): Buffer {
  const opens = Array.from(
    { length: depth },
    (_, i) =>
      `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`,
  ).join('');
  const closes = Array.from(
    { length: depth + 1 },
    (_, i) => `--b${depth - i}--\r\n`,
  ).join('');

  return Buffer.from(
    `${HEADER}Content-Type: multipart/mixed; boundary="b0"\r\n\r\n${opens}` +
      `--b${depth}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n${closes}`,
  );
}

/** One multipart/mixed with `count` parts of one byte each. */
function tinyParts(count: number): Buffer {
  return Buffer.from(
    `${HEADER}Content-Type: multipart/mixed; boundary="b"\r\n\r\n` +
      '--b\r\n\r\nx\r\n'.repeat(count) +
      '--b--\r\n',
  );
}

describe('parseMessage on hostile input', () => {
  it(`reads multiparts nested ${MAX_MIME_DEPTH} levels deep`, async () => {
    const message = await parseMessage(nestedMultipart(MAX_MIME_DEPTH - 1));

    expect(message.text.trim()).toBe('deep');
  });

  it('refuses 400 levels of nested multipart as too complex', async () => {
    expect(await reasonOf(nestedMultipart(400))).toBe('too-complex');
  });

  it('refuses a million tiny parts as too complex', async () => {
    expect(await reasonOf(tinyParts(1_000_000))).toBe('too-complex');
  });

  it(`refuses more than ${MAX_MIME_PARTS} parts even when the line limit allows them`, async () => {
    const error = await parseMessage(tinyParts(1_000_000), {
      maxMessageLines: 4 * MAX_MESSAGE_LINES,
    }).catch((e: unknown) => e);

    expect((error as MailParseError).reason).toBe('too-complex');
    expect((error as MailParseError).message).toContain(`${MAX_MIME_PARTS}`);
  });

  it('refuses a body of millions of short lines before the parser walks it', async () => {
    const raw = Buffer.from(`${HEADER}\r\n${'--x\n'.repeat(2_000_000)}`);

    expect(await reasonOf(raw)).toBe('too-complex');
  });

  it('reads a message with a 200 KB header line', async () => {
    const raw = Buffer.from(
      `${HEADER}X-Long: ${'a'.repeat(200 * 1024)}\r\n\r\nbody\r\n`,
    );

    const message = await parseMessage(raw);

    expect(message.headers.get('x-long')?.[0]).toHaveLength(200 * 1024);
    expect(message.text.trim()).toBe('body');
  });

  it('refuses a MIME part header past MAX_HEADER_BYTES', async () => {
    const raw = Buffer.from(
      `${HEADER}Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n` +
        `X-Pad: ${'a'.repeat(300 * 1024)}\r\n\r\nx\r\n--b--\r\n`,
    );

    expect(await reasonOf(raw)).toBe('too-complex');
  });

  it('reads around NUL bytes in headers and body', async () => {
    const raw = Buffer.from(
      'From: a@example.com\r\nSubject: nul\0here\r\n\r\nbo\0dy\0\r\n',
    );

    const message = await parseMessage(raw);

    expect(message.subject).toBe('nulhere');
    expect(message.text.trim()).toBe('body');
  });

  it('decodes what it can of invalid base64 and keeps the attachment', async () => {
    const raw = Buffer.from(
      `${HEADER}Content-Type: multipart/mixed; boundary=b\r\n\r\n` +
        '--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n' +
        '--b\r\nContent-Type: image/png; name="x.png"\r\n' +
        'Content-Transfer-Encoding: base64\r\n\r\n' +
        '!!!*** not base64 at all $$$===\r\n--b--\r\n',
    );

    const message = await parseMessage(raw);

    expect(message.text.trim()).toBe('see file');
    expect(message.attachments.map((a) => a.filename)).toEqual(['x.png']);
  });

  it('keeps what arrived of a multipart cut off mid-attachment', async () => {
    const raw = Buffer.from(
      `${HEADER}Content-Type: multipart/mixed; boundary=b\r\n\r\n` +
        '--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
        '--b\r\nContent-Type: application/pdf; name="r.pdf"\r\n' +
        'Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK',
    );

    const message = await parseMessage(raw);

    expect(message.text.trim()).toBe('hello');
    expect(message.attachments[0]?.content.toString()).toBe('%PDF-1.4\n');
  });

  it('keeps what arrived of a part header cut off before its blank line', async () => {
    const raw = Buffer.from(
      `${HEADER}Content-Type: multipart/mixed; boundary=b\r\n\r\n` +
        '--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Ty',
    );

    const message = await parseMessage(raw);

    expect(message.text).toContain('hello');
  });

  it('reads a multipart whose boundary never appears as a text body', async () => {
    const raw = Buffer.from(
      `${HEADER}Content-Type: multipart/mixed; boundary=missing\r\n\r\n` +
        'only a preamble\r\n',
    );

    await expect(parseMessage(raw)).resolves.toMatchObject({
      attachments: [],
    });
  });
});
