import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../functions/mail/parse-message.js';

const FIXTURES = new URL('../../fixtures/mail/', import.meta.url);

function parseFixture(name: string) {
  return parseMessage(readFileSync(new URL(name, FIXTURES)));
}

describe('parseMessage fidelity on crafted fixtures', () => {
  describe('S/MIME', () => {
    it('shows the signed text and keeps the signature as an attachment', async () => {
      const message = await parseFixture('smime-signed.eml');

      expect(message.text.trim()).toBe('Please ship order 4711 today.');
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        filename: 'smime.p7s',
        contentType: 'application/pkcs7-signature',
        size: 213,
        inline: false,
      });
    });
  });

  describe('winmail.dat', () => {
    it('replaces winmail.dat by the files inside it', async () => {
      const message = await parseFixture('winmail-attachments.eml');

      expect(
        message.attachments.map((a) => [a.filename, a.contentType, a.size]),
      ).toEqual([
        ['Quartalsbericht M\u00e4rz.pdf', 'application/pdf', 48],
        ['order.csv', 'text/csv', 19],
      ]);
      expect(message.attachments[0]?.content.toString()).toMatch(/^%PDF-1\.4/);
      expect(message.attachments[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(message.attachments.every((a) => a.namedBySender)).toBe(true);
    });

    it('keeps winmail.dat when it cannot be read', async () => {
      const message = await parseFixture('winmail-corrupt.eml');

      expect(message.attachments.map((a) => a.filename)).toEqual([
        'winmail.dat',
      ]);
      expect(message.attachments[0]?.contentType).toBe('application/ms-tnef');
    });
  });

  describe('character sets', () => {
    it('reads 8-bit Latin-1 headers and body of a message without MIME headers', async () => {
      const message = await parseFixture('latin1-no-content-type.eml');

      expect(message.subject).toBe('Drucker l\u00e4uft hei\u00df');
      expect(message.from?.name).toBe('J\u00fcrgen M\u00fcller');
      expect(message.text).toContain('im B\u00fcro l\u00e4uft hei\u00df');
      expect(message.text).toContain('Gr\u00fc\u00dfe aus K\u00f6ln');
    });

    it('reads windows-1252 punctuation in a body labelled ISO-8859-1', async () => {
      const message = await parseFixture('iso-8859-1-with-cp1252-quotes.eml');

      expect(message.text.trim()).toBe(
        'He said \u201cit\u2019s broken\u201d \u2013 costs 20 \u20ac so far.',
      );
    });

    it('detects Shift_JIS in a body without a charset', async () => {
      const message = await parseFixture('shift-jis-no-charset.eml');

      expect(message.text).toContain(
        '\u30d7\u30ea\u30f3\u30bf\u30fc\u304c\u52d5\u304b\u306a\u304f',
      );
      expect(message.text).not.toContain('\ufffd');
    });

    it('reads Latin-1 bytes in a quoted-printable body labelled UTF-8', async () => {
      const message = await parseFixture('utf8-label-latin1-qp.eml');

      expect(message.text.trim()).toBe(
        'Pr\u00e9f\u00e9rence: d\u00e9j\u00e0 r\u00e9gl\u00e9, \u00e0 bient\u00f4t.',
      );
    });

    it('reads UTF-8 bytes in a base64 body labelled ISO-8859-1', async () => {
      const message = await parseFixture('latin1-label-utf8-base64.eml');

      expect(message.text.trim()).toBe(
        '\u00c7a marche tr\u00e8s bien, merci \u2014 Zo\u00eb',
      );
    });

    it('reads an unlabelled windows-1252 HTML-only body and derives its text', async () => {
      const message = await parseFixture('html-only-no-charset.eml');

      expect(message.html).toContain('Gr\u00fc\u00dfe');
      expect(message.text).toBe(
        'Gr\u00fc\u00dfe,\n\ndie Lieferung f\u00fcr Stra\u00dfe 5 ist unterwegs.',
      );
    });
  });

  describe('attached messages', () => {
    it('keeps an inline forwarded message whole, named after its subject', async () => {
      const message = await parseFixture('forwarded-inline.eml');

      expect(message.text.trim()).toBe('See below.');
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        filename: 'St\u00f6rung im Netz.eml',
        namedBySender: false,
        contentType: 'message/rfc822',
        inline: false,
      });
      expect(message.attachments[0]?.content.toString()).toContain(
        'The network is down.',
      );
    });
  });
});
