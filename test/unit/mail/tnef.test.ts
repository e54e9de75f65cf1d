import { describe, expect, it } from 'vitest';
import {
  MAX_TNEF_ATTACHMENTS,
  readTnefAttachments,
} from '../../../functions/mail/tnef.js';
import {
  ATT,
  PROP,
  tnefAttribute,
  tnefStream,
  unicodeValue,
} from './tnef-builder.js';

const PDF = Buffer.from('%PDF-1.4 fake report');
const NOTES = Buffer.from('meeting notes\r\n');

describe('readTnefAttachments', () => {
  it('reads each file with its title and data', () => {
    const stream = tnefStream([
      { title: 'REPORT~1.PDF', data: PDF },
      { title: 'notes.txt', data: NOTES },
    ]);

    const files = readTnefAttachments(stream);

    expect(files.map((f) => [f.filename, f.content.toString()])).toEqual([
      ['REPORT~1.PDF', PDF.toString()],
      ['notes.txt', NOTES.toString()],
    ]);
  });

  it('prefers the long file name, type and Content-ID from the MAPI properties', () => {
    const stream = tnefStream([
      {
        title: 'QUARTE~1.PDF',
        data: PDF,
        properties: [
          { type: PROP.long, id: PROP.attachMethod, value: 1 },
          {
            type: PROP.unicode,
            id: PROP.longFilename,
            value: unicodeValue('Quartalsbericht M\u00e4rz.pdf'),
          },
          {
            type: PROP.string8,
            id: PROP.mimeTag,
            value: Buffer.from('Application/PDF\0'),
          },
          {
            type: PROP.string8,
            id: PROP.contentId,
            value: Buffer.from('<chart@example.com>\0'),
          },
        ],
      },
    ]);

    const [file] = readTnefAttachments(stream);

    expect(file).toMatchObject({
      filename: 'Quartalsbericht M\u00e4rz.pdf',
      contentType: 'application/pdf',
      contentId: 'chart@example.com',
    });
  });

  it('decodes an 8-bit title in the stream code page', () => {
    const stream = tnefStream([{ title: 'B\u00fcro.txt', data: NOTES }]);

    expect(readTnefAttachments(stream)[0]?.filename).toBe('B\u00fcro.txt');
  });

  it('skips an attachment record without data', () => {
    const stream = tnefStream([{ title: 'empty.txt' }, { data: NOTES }]);

    const files = readTnefAttachments(stream);

    expect(files).toHaveLength(1);
    expect(files[0]?.filename).toBeUndefined();
  });

  it('returns nothing for bytes that are not TNEF', () => {
    expect(readTnefAttachments(Buffer.from('PK\u0003\u0004zip'))).toEqual([]);
    expect(readTnefAttachments(Buffer.alloc(0))).toEqual([]);
  });

  it('keeps the files read before a stream is cut short', () => {
    const whole = tnefStream([
      { title: 'first.txt', data: NOTES },
      { title: 'second.pdf', data: PDF },
    ]);

    const files = readTnefAttachments(whole.subarray(0, whole.length - 5));

    expect(files.map((f) => f.filename)).toEqual(['first.txt']);
  });

  it('stops at an attribute whose length runs past the end', () => {
    const stream = Buffer.concat([
      tnefStream([{ title: 'ok.txt', data: NOTES }]),
      tnefAttribute(2, ATT.attachData, Buffer.alloc(0)).fill(0xff, 5, 9),
    ]);

    expect(readTnefAttachments(stream).map((f) => f.filename)).toEqual([
      'ok.txt',
    ]);
  });

  it('survives a MAPI property list that lies about its sizes', () => {
    const lying = Buffer.alloc(16);
    lying.writeUInt32LE(5, 0);
    lying.writeUInt16LE(PROP.unicode, 4);
    lying.writeUInt16LE(PROP.longFilename, 6);
    lying.writeUInt32LE(1, 8);
    lying.writeUInt32LE(0x7fffffff, 12);
    const stream = Buffer.concat([
      tnefStream([{ title: 'short.txt', data: NOTES }]),
      tnefAttribute(2, ATT.attachment, lying),
    ]);

    expect(readTnefAttachments(stream)[0]?.filename).toBe('short.txt');
  });

  it(`keeps at most ${MAX_TNEF_ATTACHMENTS} files`, () => {
    const files = Array.from({ length: MAX_TNEF_ATTACHMENTS + 5 }, (_, i) => ({
      title: `f${i}.txt`,
      data: NOTES,
    }));

    expect(readTnefAttachments(tnefStream(files))).toHaveLength(
      MAX_TNEF_ATTACHMENTS,
    );
  });
});
