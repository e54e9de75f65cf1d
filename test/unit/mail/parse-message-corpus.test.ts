import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../functions/mail/parse-message.js';
import { type CorpusMessage, loadCorpus } from '../../support/corpus.js';

const CORPUS = loadCorpus();

/** The line ends POP3 delivers: every bare LF becomes CRLF. */
function withCrlf(raw: Buffer): Buffer {
  return Buffer.from(
    raw.toString('latin1').replace(/\r?\n/g, '\r\n'),
    'latin1',
  );
}

/** Parses the corpus message with the given id. */
async function parseFixture(id: string) {
  const message = CORPUS.find((candidate) => candidate.id === id);
  if (message === undefined) {
    throw new Error(`corpus message ${id} is missing`);
  }

  return parseMessage(message.bytes());
}

describe('parseMessage on the shared corpus', () => {
  describe('character sets', () => {
    it('decodes a raw Shift_JIS subject in a message labelled ISO-2022-JP', async () => {
      const message = await parseFixture('zammad/mail093.box');

      expect(message.subject).toBe('\u30c4\u30fc\u30eb');
    });

    it('decodes an encoded word that says ISO-2022-JP but holds Shift_JIS', async () => {
      const message = await parseFixture('zammad/mail093.box');

      expect(message.from?.name).toBe('\u30c4\u30fc\u30eb EXAMPLE');
    });

    it('reads a quoted-printable body labelled us-ascii as Latin-1', async () => {
      const message = await parseFixture('zammad/mail022.box');

      expect(message.text).toContain(
        'adam leaned forward and le\u00ee charlie',
      );
      expect(message.text).not.toContain('\ufffd');
    });

    it('reads an EUC-JP body labelled ISO-2022-JP', async () => {
      const message = await parseFixture(
        'sisimai-set-of-emails/lhost-ezweb-04.eml',
      );

      expect(message.text).toContain(
        '\u6b21\u306e\u3042\u3066\u5148\u3078\u306e\u30e1\u30c3\u30bb\u30fc\u30b8',
      );
      expect(message.text).not.toContain('\ufffd');
    });

    it('keeps a raw UTF-8 display name with one broken byte as UTF-8', async () => {
      const message = await parseFixture('flanker/mailformed-headers.eml');

      expect(message.from?.name).toBe(
        '\u042e\u043d\u0438\u043a\u043e\u0434 \u0437\u0430\u043f\u0440\u0435\u0449\u0435\u043d\ufffd',
      );
    });
  });

  describe('addresses', () => {
    it('takes the second From header when the first holds no address', async () => {
      const message = await parseFixture('zammad/mail017.box');

      expect(message.from?.address).toBe('ghgbwum@185.com.cn');
    });

    it('drops a stray bracket after a quoted local part', async () => {
      const message = await parseFixture('zammad/mail076.box');

      expect(message.from).toEqual({
        address: '"Millions Lottery Spain transfer"@example.com',
      });
    });
  });

  describe('attachments', () => {
    it('joins RFC 2231 file name continuations', async () => {
      const message = await parseFixture(
        'ruby-mail/multi_charset/japanese_attachment_long_name.eml',
      );

      expect(message.attachments.map((a) => a.filename)).toEqual([
        `${'\u304b\u304d\u304f\u3051\u3053'.repeat(5)}.txt`,
      ]);
    });

    it('decodes an RFC 2231 file name in Latin-1, also under a us-ascii label', async () => {
      const message = await parseFixture('zammad/mail073.box');

      expect(message.attachments.map((a) => a.filename)).toEqual([
        'Bestellbest\u00e4tigung_BK18052795.jpg',
        'Forex Platte ohne W\u00f6lbung.jpg',
      ]);
    });

    it('marks cid images inline and keeps their Content-IDs', async () => {
      const message = await parseFixture('php-mime-mail-parser/m0008.eml');

      const inline = message.attachments.filter((a) => a.inline);
      expect(inline.map((a) => a.contentId)).toEqual([
        'ae0357e57f04b8347f7621662cb63855.jpg',
        '4c837ed463ad29c820668e835a270e8a.jpg',
      ]);
      for (const attachment of inline) {
        expect(message.html).toContain(`cid:${attachment.contentId}`);
      }
    });

    it('names attached messages without a file name after their subjects', async () => {
      const message = await parseFixture('zammad/mail014.box');

      expect(
        message.attachments.map((a) => [a.filename, a.namedBySender, a.size]),
      ).toEqual([
        ['Neue Anfrage erstellt - 33284.eml', false, 1808],
        ['Call_ HW-Anforderung; Best-nr.47524152.eml', false, 2380],
      ]);
    });

    it('keeps an inline forwarded message whole as one .eml attachment', async () => {
      const message = await parseFixture('stalwart-mail-parser/rfc/002.eml');

      expect(message.text).not.toContain('Hi A1');
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        filename: 'Map of Argentina with Description.eml',
        contentType: 'message/rfc822',
      });
      expect(message.attachments[0]?.content.toString()).toContain('Hi A1');
    });

    it('shows the signed text of S/MIME mail and keeps the signature', async () => {
      const message = await parseFixture('zammad/mail040.box');

      expect(message.text).toContain('smime signed 123');
      expect(message.attachments.map((a) => a.contentType)).toEqual([
        'application/pkcs7-signature',
      ]);
    });

    it('keeps winmail.dat when it holds no attached file', async () => {
      const message = await parseFixture('mimekit/tnef/ukr.eml');

      expect(message.attachments.map((a) => a.filename)).toEqual([
        'winmail.dat',
      ]);
    });
  });

  it('parses every message of the corpus, as stored and as POP3 delivers it, without throwing', async () => {
    const failures: string[] = [];
    const parseOne = (message: CorpusMessage, raw: Buffer) =>
      parseMessage(raw).catch((error: Error) =>
        failures.push(`${message.id}: ${error.message}`),
      );
    for (const message of CORPUS) {
      const raw = message.bytes();
      await parseOne(message, raw);
      await parseOne(message, withCrlf(raw));
    }

    expect(CORPUS).toHaveLength(302);
    expect(failures).toEqual([]);
  });
});
