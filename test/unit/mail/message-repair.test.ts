import { describe, expect, it } from 'vitest';
import { repairRawMessage } from '../../../functions/mail/message-repair.js';

const LIMITS = { maxParts: 50, maxDepth: 8, maxHeaderBytes: 4096 };

function repair(...pieces: (string | Buffer)[]) {
  const raw = Buffer.concat(
    pieces.map((piece) =>
      typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece,
    ),
  );

  return repairRawMessage(raw, LIMITS);
}

const LATIN1_BODY = Buffer.from(
  'Sehr geehrte Damen und Herren, der Drucker im B\u00fcro l\u00e4uft hei\u00df.\r\n',
  'latin1',
);

describe('repairRawMessage', () => {
  it('returns the same bytes when nothing needs a new label', () => {
    const raw = Buffer.from(
      'From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGr\u00fc\u00dfe\r\n',
    );

    expect(repairRawMessage(raw, LIMITS).bytes).toBe(raw);
  });

  it('adds a Content-Type with the charset after an mbox From line', () => {
    const { bytes, header } = repair(
      'From sender Fri Dec  4 10:00:00 2026\r\nFrom: a@example.com\r\n\r\n',
      LATIN1_BODY,
    );

    expect(bytes.toString('latin1')).toMatch(
      /^From sender [^\r]*\r\nContent-Type: text\/plain; charset="(ISO-8859-1|windows-1252)"\r\nFrom: a@example.com\r\n\r\n/,
    );
    expect(header.toString()).not.toContain('Content-Type');
  });

  it('replaces a wrong charset parameter in a folded Content-Type', () => {
    const { bytes } = repair(
      'From: a@example.com\r\nContent-Type: text/plain;\r\n\tcharset=us-ascii; format=flowed\r\n\r\n',
      LATIN1_BODY,
    );

    expect(bytes.toString('latin1')).toMatch(
      /\r\nContent-Type: text\/plain; charset="(ISO-8859-1|windows-1252)"; format=flowed\r\n\r\n/,
    );
  });

  it('adds the parameter to a Content-Type that has none', () => {
    const { bytes } = repair(
      'From: a@example.com\r\nContent-Type: text/html\r\n\r\n',
      LATIN1_BODY,
    );

    expect(bytes.toString('latin1')).toMatch(
      /Content-Type: text\/html; charset="(ISO-8859-1|windows-1252)"\r\n/,
    );
  });

  it('relabels a quoted-printable part and leaves its bytes alone', () => {
    const qp = 'd=C3=A9j=C3=A0 vu\r\n';
    const { bytes } = repair(
      'From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n',
      '--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n',
      `Content-Transfer-Encoding: quoted-printable\r\n\r\n${qp}--b--\r\n`,
    );

    expect(bytes.toString('latin1')).toContain(
      `Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp}`,
    );
  });

  it('leaves text attachments and non-text parts unlabelled', () => {
    const raw = Buffer.concat([
      Buffer.from(
        'From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n' +
          '--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n',
      ),
      LATIN1_BODY,
      Buffer.from('--b\r\nContent-Type: application/octet-stream\r\n\r\n'),
      LATIN1_BODY,
      Buffer.from('--b--\r\n'),
    ]);

    expect(repairRawMessage(raw, LIMITS).bytes).toBe(raw);
  });

  it('relabels encoded words in part headers and keeps them in the header map', () => {
    const { bytes, header, relabelledHeader } = repair(
      'Subject: =?us-ascii?Q?caf=E9?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n',
      '--b\r\nContent-Type: image/png; name="=?us-ascii?Q?b=FCro.png?="\r\n\r\nx\r\n--b--\r\n',
    );

    expect(header.toString()).toContain('=?us-ascii?Q?caf=E9?=');
    expect(relabelledHeader.toString()).toContain(
      '=?windows-1252?B?Y2Fm6Q==?=',
    );
    expect(bytes.toString()).toContain(
      'name="=?windows-1252?B?Yvxyby5wbmc=?="',
    );
  });
});
