import { describe, expect, it } from 'vitest';
import {
  type MimeNode,
  outlineMime,
} from '../../../functions/mail/mime-outline.js';

const LIMITS = { maxParts: 50, maxDepth: 4, maxHeaderBytes: 1024 };

function outline(text: string, limits = LIMITS): MimeNode[] {
  return outlineMime(Buffer.from(text.replace(/\n/g, '\r\n')), limits);
}

function body(text: string, node: MimeNode | undefined): string {
  return text.replace(/\n/g, '\r\n').slice(node?.bodyStart, node?.bodyEnd);
}

const MIXED = [
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'preamble',
  '--outer',
  'Content-Type: text/plain; charset="ISO-8859-1"',
  'Content-Transfer-Encoding: Quoted-Printable',
  '',
  'caf=E9',
  '--outer',
  'Content-Type: multipart/alternative;',
  '\tboundary=inner',
  '',
  '--inner',
  '',
  'no header',
  '--inner--',
  'epilogue',
  '--outer',
  'Content-Type: application/pdf',
  'Content-Disposition: ATTACHMENT; filename=a.pdf',
  '',
  'JVBERi0=',
  '--outer--',
  '',
].join('\n');

describe('outlineMime', () => {
  it('lists every part with its type, charset, encoding and disposition', () => {
    const nodes = outline(MIXED);

    expect(
      nodes.map((n) => [
        n.contentType,
        n.charset,
        n.transferEncoding,
        n.disposition,
        n.depth,
      ]),
    ).toEqual([
      ['multipart/mixed', undefined, '', '', 0],
      ['text/plain', 'iso-8859-1', 'quoted-printable', '', 1],
      ['multipart/alternative', undefined, '', '', 1],
      ['text/plain', undefined, '', '', 2],
      ['application/pdf', undefined, '', 'attachment', 1],
    ]);
  });

  it('ends each body before the line break of the next delimiter', () => {
    const nodes = outline(MIXED);

    expect(body(MIXED, nodes[1])).toBe('caf=E9');
    expect(body(MIXED, nodes[3])).toBe('no header');
    expect(body(MIXED, nodes[4])).toBe('JVBERi0=');
  });

  it('reads a message without MIME headers as one text/plain part', () => {
    const nodes = outline('From: a@example.com\n\nhello\n');

    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ contentType: 'text/plain', depth: 0 });
  });

  it('does not look inside an attached message', () => {
    const nodes = outline(
      [
        'Content-Type: multipart/mixed; boundary=a',
        '',
        '--a',
        'Content-Type: message/rfc822',
        '',
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        '',
        'inner',
        '--b--',
        '--a--',
      ].join('\n'),
    );

    expect(nodes.map((n) => n.contentType)).toEqual([
      'multipart/mixed',
      'message/rfc822',
    ]);
  });

  it('types the parts of a digest as messages', () => {
    const nodes = outline(
      'Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x\n--d--\n',
    );

    expect(nodes[1]?.contentType).toBe('message/rfc822');
  });

  it('closes inner multiparts at a delimiter of an outer one', () => {
    const nodes = outline(
      [
        'Content-Type: multipart/mixed; boundary=a',
        '',
        '--a',
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        '',
        'one',
        '--a',
        '',
        'two',
        '--b',
        'still two',
        '--a--',
      ].join('\n'),
    );

    expect(nodes.map((n) => n.depth)).toEqual([0, 1, 2, 1]);
  });

  it('takes only the exact boundary, with trailing blanks, as a delimiter', () => {
    const nodes = outline(
      'Content-Type: multipart/mixed; boundary=a\n\n--ab\n--a \t\n\nx\n--a--\n',
    );

    expect(nodes).toHaveLength(2);
  });

  it('keeps a part cut off in its header', () => {
    const nodes = outline(
      'Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/ht',
    );

    expect(nodes).toHaveLength(2);
    expect(nodes[1]?.bodyStart).toBe(nodes[1]?.bodyEnd);
  });

  it('throws too-complex past the part, depth or header limit', () => {
    const many = `Content-Type: multipart/mixed; boundary=a\n\n${'--a\n\nx\n'.repeat(60)}`;
    const deep = Array.from(
      { length: 6 },
      (_, i) => `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n`,
    ).join('');
    const fat = `Content-Type: multipart/mixed; boundary=a\n\n--a\nX: ${'y'.repeat(2000)}\n\n`;

    for (const text of [many, deep, fat]) {
      expect(() => outline(text)).toThrow(
        expect.objectContaining({
          name: 'MailParseError',
          reason: 'too-complex',
        }),
      );
    }
  });
});
