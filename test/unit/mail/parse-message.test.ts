import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import { MailParseError } from '../../../functions/mail/errors.js';
import {
  MAX_HEADER_LINES,
  MAX_THREAD_IDS,
  parseMessage,
} from '../../../functions/mail/parse-message.js';

/** Joins header lines and a body into CRLF message bytes. */
function eml(headers: string[], body = 'Hello.'): Buffer {
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
}

/** Like `eml`, but the header bytes are written as Latin-1. */
function latin1Eml(headers: string[], body = 'Hello.'): Buffer {
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'latin1');
}

async function parseError(raw: Buffer): Promise<MailParseError> {
  const error = await parseMessage(raw).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(MailParseError);

  return error as MailParseError;
}

const BASIC = [
  'From: Ann Example <ann@example.com>',
  'To: support@example.net',
  'Subject: Printer on fire',
  'Date: Fri, 04 Dec 2026 10:00:00 +0100',
  'Message-ID: <abc.123@example.com>',
];

describe('parseMessage', () => {
  describe('ordinary messages', () => {
    it('reads the identity, addresses, date and text of a plain message', async () => {
      const message = await parseMessage(eml(BASIC, 'It smokes.'));

      expect(message.messageId).toBe('abc.123@example.com');
      expect(message.subject).toBe('Printer on fire');
      expect(message.from).toEqual({
        address: 'ann@example.com',
        name: 'Ann Example',
      });
      expect(message.to).toEqual([{ address: 'support@example.net' }]);
      expect(message.cc).toEqual([]);
      expect(message.date?.toISOString()).toBe('2026-12-04T09:00:00.000Z');
      expect(message.text.trim()).toBe('It smokes.');
      expect(message.html).toBeUndefined();
      expect(message.attachments).toEqual([]);
      expect(message.truncated).toEqual([]);
    });

    it('gives the same result for LF and CRLF line endings', async () => {
      const crlf = eml(BASIC, 'Line one\r\nLine two');
      const lf = Buffer.from(crlf.toString('latin1').replace(/\r\n/g, '\n'));

      const [a, b] = await Promise.all([parseMessage(crlf), parseMessage(lf)]);

      expect(b.subject).toBe(a.subject);
      expect(b.from).toEqual(a.from);
      expect(b.text).toBe(a.text);
    });

    it('returns an empty subject when the Subject header is missing', async () => {
      const message = await parseMessage(eml(['From: a@example.com']));

      expect(message.subject).toBe('');
    });

    it('flattens address groups in To and Cc', async () => {
      const message = await parseMessage(
        eml([
          'From: a@example.com',
          'To: Team: b@example.com, "Cee" <c@example.com>;, d@example.com',
          'Cc: undisclosed-recipients:;',
        ]),
      );

      expect(message.to).toEqual([
        { address: 'b@example.com' },
        { address: 'c@example.com', name: 'Cee' },
        { address: 'd@example.com' },
      ]);
      expect(message.cc).toEqual([]);
    });

    it('takes the first From header that holds an address', async () => {
      const message = await parseMessage(
        eml(['From: [broken gateway]', 'From: Bea <bea@example.com>']),
      );

      expect(message.from).toEqual({ address: 'bea@example.com', name: 'Bea' });
    });

    it('reads Reply-To', async () => {
      const message = await parseMessage(
        eml([...BASIC, 'Reply-To: Desk <desk@example.com>']),
      );

      expect(message.replyTo).toEqual({
        address: 'desk@example.com',
        name: 'Desk',
      });
    });
  });

  describe('headers map', () => {
    it('keys headers by lower-case name with every occurrence, unfolded', async () => {
      const message = await parseMessage(
        eml([
          'From: a@example.com',
          'Received: from one',
          '\tby mx.example.com',
          'RECEIVED: from two',
          'Auto-Submitted: auto-replied',
          'Subject: =?utf-8?q?caf=C3=A9?=',
        ]),
      );

      expect(message.headers.get('received')).toEqual([
        'from one\tby mx.example.com',
        'from two',
      ]);
      expect(message.headers.get('auto-submitted')).toEqual(['auto-replied']);
      expect(message.headers.get('subject')).toEqual(['=?utf-8?q?caf=C3=A9?=']);
    });

    it('leaves an mbox "From " separator line out of the headers', async () => {
      const raw = Buffer.concat([
        Buffer.from('From ann@example.com  Thu May  3 12:04:29 2012\r\n'),
        eml(BASIC),
      ]);

      const message = await parseMessage(raw);

      expect([...message.headers.keys()].some((key) => key.includes(' '))).toBe(
        false,
      );
      expect(message.from?.address).toBe('ann@example.com');
    });
  });

  describe('character sets', () => {
    it('decodes 8-bit Latin-1 headers that name no charset', async () => {
      const raw = latin1Eml([
        'From: J\u00fcrgen M\u00fcller <jm@example.de>',
        'Subject: Caf\u00e9 geschlossen',
      ]);

      const message = await parseMessage(raw);

      expect(message.subject).toBe('Caf\u00e9 geschlossen');
      expect(message.from?.name).toBe('J\u00fcrgen M\u00fcller');
      expect(message.headers.get('subject')).toEqual(['Caf\u00e9 geschlossen']);
    });

    it('decodes 8-bit headers in the charset the message body names', async () => {
      const subject = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]);
      const raw = Buffer.concat([
        Buffer.from('From: a@example.cn\r\nSubject: '),
        subject,
        Buffer.from(
          '\r\nContent-Type: text/plain; charset=gb2312\r\n\r\nbody\r\n',
        ),
      ]);

      const message = await parseMessage(raw);

      expect(message.subject).toBe('\u4f60\u597d');
    });

    it('keeps 8-bit UTF-8 headers as they are', async () => {
      const message = await parseMessage(
        eml(['From: a@example.com', 'Subject: \u00dcbersicht \u2713']),
      );

      expect(message.subject).toBe('\u00dcbersicht \u2713');
    });

    it('decodes encoded-word subjects, also split across charsets', async () => {
      const message = await parseMessage(
        eml([
          'From: a@example.com',
          'Subject: =?iso-8859-1?Q?Gr=FC=DFe?= =?utf-8?B?YXVzIEvDtmxu?=',
        ]),
      );

      expect(message.subject).toBe('Gr\u00fc\u00dfeaus K\u00f6ln');
    });
  });

  describe('date', () => {
    it('is undefined when the Date header is missing', async () => {
      const message = await parseMessage(eml(['From: a@example.com']));

      expect(message.date).toBeUndefined();
    });

    it('is undefined when the Date header cannot be read', async () => {
      const message = await parseMessage(
        eml(['From: a@example.com', 'Date: sometime next week']),
      );

      expect(message.date).toBeUndefined();
    });
  });

  describe('thread ids', () => {
    it('has no messageId when the Message-ID header is missing', async () => {
      const message = await parseMessage(eml(['From: a@example.com']));

      expect(message.messageId).toBeUndefined();
    });

    it.each([
      ['bracketless', 'Abc.1@Example.COM', 'Abc.1@Example.COM'],
      ['with a comment', '<x@y> (sent by z)', 'x@y'],
      ['without an at sign', '<123456>', '123456'],
      ['missing the closing bracket', '<x@y', 'x@y'],
      ['surrounded by spaces', '   <  x@y  >  ', 'x@y'],
    ])('reads a %s Message-ID', async (_case, header, expected) => {
      const message = await parseMessage(
        eml(['From: a@example.com', `Message-ID: ${header}`]),
      );

      expect(message.messageId).toBe(expected);
    });

    it('has no messageId when the Message-ID header is empty brackets', async () => {
      const message = await parseMessage(
        eml(['From: a@example.com', 'Message-ID: <>']),
      );

      expect(message.messageId).toBeUndefined();
    });

    it('reads several In-Reply-To ids, from one header and from repeats', async () => {
      const message = await parseMessage(
        eml([
          'From: a@example.com',
          'In-Reply-To: <one@x> <two@x>',
          'In-Reply-To: Your message of Monday <three@x>',
        ]),
      );

      expect(message.inReplyTo).toEqual(['one@x', 'two@x', 'three@x']);
    });

    it('ignores In-Reply-To prose that holds no id', async () => {
      const message = await parseMessage(
        eml(['From: a@example.com', 'In-Reply-To: your mail of Monday']),
      );

      expect(message.inReplyTo).toEqual([]);
    });

    it('keeps References in header order without case-insensitive repeats', async () => {
      const message = await parseMessage(
        eml([
          'From: a@example.com',
          'References: <root@x>',
          ' <Mid@X> <mid@x>',
          '  <last@x>',
        ]),
      );

      expect(message.references).toEqual(['root@x', 'Mid@X', 'last@x']);
    });

    it('keeps only the newest References when there are too many', async () => {
      const ids = Array.from(
        { length: MAX_THREAD_IDS + 5 },
        (_, i) => `<${i}@x>`,
      );

      const message = await parseMessage(
        eml(['From: a@example.com', `References: ${ids.join(' ')}`]),
      );

      expect(message.references).toHaveLength(MAX_THREAD_IDS);
      expect(message.references.at(-1)).toBe(`${MAX_THREAD_IDS + 4}@x`);
      expect(message.truncated).toContain('references');
    });
  });

  describe('bodies', () => {
    it('derives the text from the HTML of an HTML-only message', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: text/html; charset=utf-8'],
          '<html><body><p>Hello <b>agent</b></p><p>Second</p></body></html>',
        ),
      );

      expect(message.html).toContain('<b>agent</b>');
      expect(message.text).toContain('Hello agent');
      expect(message.text).toContain('Second');
    });

    it('derives the text from HTML that sits alone inside multipart/related', async () => {
      const message = await parseMessage(
        eml(
          [
            'From: a@example.com',
            'Content-Type: multipart/related; boundary="rel"',
          ],
          [
            '--rel',
            'Content-Type: text/html; charset=utf-8',
            '',
            '<p>Printer <b>offline</b></p><img src="cid:logo@x">',
            '--rel',
            'Content-Type: image/png',
            'Content-ID: <logo@x>',
            'Content-Transfer-Encoding: base64',
            '',
            'iVBORw0KGgo=',
            '--rel--',
          ].join('\r\n'),
        ),
      );

      expect(message.text).toContain('Printer offline');
    });

    it('keeps the text and the HTML of multipart/alternative', async () => {
      const message = await parseMessage(
        eml(
          [
            'From: a@example.com',
            'Content-Type: multipart/alternative; boundary="b1"',
          ],
          [
            '--b1',
            'Content-Type: text/plain; charset=utf-8',
            '',
            'Plain version',
            '--b1',
            'Content-Type: text/html; charset=utf-8',
            '',
            '<p>HTML version</p>',
            '--b1--',
          ].join('\r\n'),
        ),
      );

      expect(message.text.trim()).toBe('Plain version');
      expect(message.html).toContain('<p>HTML version</p>');
    });

    it('cuts HTML past maxHtmlChars and says so', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: text/html'],
          `<p>${'x'.repeat(5000)}</p>`,
        ),
        { maxHtmlChars: 1000 },
      );

      expect(message.html).toHaveLength(1000);
      expect(message.truncated).toContain('html');
      expect(message.text.length).toBeGreaterThan(0);
    });
  });

  describe('attachments', () => {
    it('decodes an RFC 2231 file name with a charset and continuations', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          [
            '--b',
            'Content-Type: text/plain',
            '',
            'See attached.',
            '--b',
            'Content-Type: application/pdf',
            'Content-Disposition: attachment;',
            " filename*0*=utf-8''Rechnung%20M%C3%A4rz;",
            ' filename*1*=%202026.pdf',
            'Content-Transfer-Encoding: base64',
            '',
            Buffer.from('%PDF-1.4').toString('base64'),
            '--b--',
          ].join('\r\n'),
        ),
      );

      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        filename: 'Rechnung M\u00e4rz 2026.pdf',
        contentType: 'application/pdf',
        size: 8,
        sha256: createHash('sha256').update('%PDF-1.4').digest('hex'),
        inline: false,
      });
      expect(message.attachments[0]?.content.toString()).toBe('%PDF-1.4');
    });

    it('decodes an encoded-word file name', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          [
            '--b',
            'Content-Type: text/plain; name="=?utf-8?Q?Notiz_f=C3=BCr_dich.txt?="',
            'Content-Disposition: attachment',
            '',
            'note',
            '--b--',
          ].join('\r\n'),
        ),
      );

      expect(message.attachments[0]?.filename).toBe('Notiz f\u00fcr dich.txt');
    });

    it('names attachments without a file name by position and type', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          [
            '--b',
            'Content-Type: text/plain',
            '',
            'body',
            '--b',
            'Content-Type: image/png',
            'Content-Disposition: attachment',
            'Content-Transfer-Encoding: base64',
            '',
            'iVBORw0KGgo=',
            '--b',
            'Content-Type: application/x-unknown',
            'Content-Disposition: attachment',
            '',
            'data',
            '--b--',
          ].join('\r\n'),
        ),
      );

      expect(message.attachments.map((a) => a.filename)).toEqual([
        'attachment-1.png',
        'attachment-2.bin',
      ]);
    });

    it('strips path segments and control characters from file names', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          [
            '--b',
            'Content-Type: application/octet-stream',
            'Content-Disposition: attachment; filename="../../etc/pass\x07wd"',
            '',
            'data',
            '--b',
            'Content-Type: application/octet-stream',
            'Content-Disposition: attachment; filename="..\\\\.."',
            '',
            'data',
            '--b--',
          ].join('\r\n'),
        ),
      );

      expect(message.attachments.map((a) => a.filename)).toEqual([
        'passwd',
        'attachment-2.bin',
      ]);
    });

    it('keeps an attached message/rfc822 as an attachment named after its subject', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          [
            '--b',
            'Content-Type: text/plain',
            '',
            'Forwarding the original.',
            '--b',
            'Content-Type: message/rfc822',
            'Content-Disposition: attachment',
            '',
            'From: origin@example.org',
            'Subject: Inner subject',
            '',
            'Inner body',
            '--b--',
          ].join('\r\n'),
        ),
      );

      expect(message.subject).toBe('');
      expect(message.text).toContain('Forwarding the original.');
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        filename: 'Inner subject.eml',
        namedBySender: false,
        contentType: 'message/rfc822',
      });
      expect(message.attachments[0]?.content.toString()).toContain(
        'Subject: Inner subject',
      );
    });

    it('marks a cid image inline and leaves the cid link in the HTML', async () => {
      const message = await parseMessage(
        eml(
          [
            'From: a@example.com',
            'Content-Type: multipart/related; boundary=r',
          ],
          [
            '--r',
            'Content-Type: text/html; charset=utf-8',
            '',
            '<p>Logo: <img src="cid:logo.1@example.com"></p>',
            '--r',
            'Content-Type: image/gif; name="logo.gif"',
            'Content-ID: <logo.1@example.com>',
            'Content-Transfer-Encoding: base64',
            '',
            'R0lGODlhAQABAAAAACw=',
            '--r--',
          ].join('\r\n'),
        ),
      );

      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        filename: 'logo.gif',
        contentType: 'image/gif',
        contentId: 'logo.1@example.com',
        inline: true,
      });
      expect(message.html).toContain('src="cid:logo.1@example.com"');
    });

    it('keeps the first maxAttachments attachments and says so', async () => {
      const parts = Array.from({ length: 5 }, (_, i) =>
        [
          '--b',
          'Content-Type: application/octet-stream',
          `Content-Disposition: attachment; filename="f${i}.bin"`,
          '',
          `data ${i}`,
        ].join('\r\n'),
      );

      const message = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          `${parts.join('\r\n')}\r\n--b--`,
        ),
        { maxAttachments: 3 },
      );

      expect(message.attachments.map((a) => a.filename)).toEqual([
        'f0.bin',
        'f1.bin',
        'f2.bin',
      ]);
      expect(message.truncated).toContain('attachments');
    });
  });

  describe('unparseable input', () => {
    it('throws MailParseError "empty" for no bytes or only whitespace', async () => {
      expect((await parseError(Buffer.alloc(0))).reason).toBe('empty');
      expect((await parseError(Buffer.from(' \r\n\r\n\t'))).reason).toBe(
        'empty',
      );
    });

    it('throws MailParseError "no-headers" when there is no header field', async () => {
      const error = await parseError(
        Buffer.from('just some words\r\nand more words\r\n'),
      );

      expect(error.reason).toBe('no-headers');
      expect(error.name).toBe('MailParseError');
    });

    it('throws MailParseError "no-headers" when the message starts with a blank line', async () => {
      const error = await parseError(
        Buffer.from('\r\nFrom: a@example.com\r\n'),
      );

      expect(error.reason).toBe('no-headers');
    });

    it('throws MailParseError "too-many-header-lines" for a header bomb', async () => {
      const lines = Array.from(
        { length: MAX_HEADER_LINES + 1 },
        (_, i) => `X-Filler-${i}: x`,
      );

      const error = await parseError(eml(['From: a@example.com', ...lines]));

      expect(error.reason).toBe('too-many-header-lines');
    });

    it('throws MailParseError "too-large" past maxMessageBytes', async () => {
      const error = await parseMessage(eml(BASIC, 'x'.repeat(2000)), {
        maxMessageBytes: 1000,
      }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(MailParseError);
      expect((error as MailParseError).reason).toBe('too-large');
    });

    it('throws MailParseError "too-complex" past maxMimeParts', async () => {
      const depth = 60;
      const opens = Array.from(
        { length: depth },
        (_, i) =>
          `--b${i}\r\nContent-Type: multipart/mixed; boundary=b${i + 1}\r\n`,
      ).join('\r\n');

      const error = await parseMessage(
        eml(
          ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b0'],
          `${opens}\r\n--b${depth}\r\nContent-Type: text/plain\r\n\r\ndeep`,
        ),
        { maxMimeParts: 50 },
      ).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(MailParseError);
      expect((error as MailParseError).reason).toBe('too-complex');
    });
  });

  describe('options', () => {
    it('refuses an unknown option with a ValidationError naming it', async () => {
      const error = await parseMessage(eml(BASIC), {
        maxAttachment: 3,
      } as never).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('options.maxAttachment');
    });

    it.each([0, -1, 1.5, Number.NaN, 1e12])(
      'refuses %s as a limit',
      async (value) => {
        const error = await parseMessage(eml(BASIC), {
          maxHeaderLines: value,
        }).catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('options.maxHeaderLines');
      },
    );
  });
});
