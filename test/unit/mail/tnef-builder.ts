/**
 * Writes TNEF streams for tests, following MS-OXTNEF: the signature and
 * legacy key, then attributes of level, id, length, data and checksum.
 */

const LEVEL_MESSAGE = 0x01;
const LEVEL_ATTACHMENT = 0x02;

/** Attribute ids used by the tests. */
export const ATT = {
  tnefVersion: 0x00089006,
  oemCodepage: 0x00069007,
  attachRendData: 0x00069002,
  attachTitle: 0x00018010,
  attachData: 0x0006800f,
  attachment: 0x00069005,
} as const;

/** MAPI property types and ids used by the tests. */
export const PROP = {
  string8: 0x001e,
  unicode: 0x001f,
  long: 0x0003,
  binary: 0x0102,
  longFilename: 0x3707,
  mimeTag: 0x370e,
  contentId: 0x3712,
  attachMethod: 0x3705,
} as const;

/** One MAPI property to write. */
export interface TestProperty {
  readonly type: number;
  readonly id: number;
  readonly value: Buffer | number;
}

/** One attachment to write. */
export interface TestFile {
  readonly title?: string;
  readonly data?: Buffer;
  readonly properties?: readonly TestProperty[];
}

/**
 * An attribute with its checksum (the sum of the data bytes, mod 65536).
 *
 * @param level 1 for the message, 2 for an attachment
 * @param id the attribute id with its type in the high word
 * @param data the attribute data
 * @returns the encoded attribute
 */
export function tnefAttribute(level: number, id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt8(level, 0);
  head.writeUInt32LE(id >>> 0, 1);
  head.writeUInt32LE(data.length, 5);
  const checksum = Buffer.alloc(2);
  checksum.writeUInt16LE(data.reduce((sum, byte) => sum + byte, 0) % 65536);

  return Buffer.concat([head, data, checksum]);
}

/**
 * A whole stream holding the given files.
 *
 * @param files the attachments, in order
 * @returns the stream bytes
 */
export function tnefStream(files: readonly TestFile[]): Buffer {
  const signature = Buffer.alloc(6);
  signature.writeUInt32LE(0x223e9f78, 0);
  signature.writeUInt16LE(0x1234, 4);
  const version = Buffer.from([0x00, 0x00, 0x01, 0x00]);
  const codepage = Buffer.alloc(8);
  codepage.writeUInt32LE(1252, 0);

  return Buffer.concat([
    signature,
    tnefAttribute(LEVEL_MESSAGE, ATT.tnefVersion, version),
    tnefAttribute(LEVEL_MESSAGE, ATT.oemCodepage, codepage),
    ...files.flatMap(fileAttributes),
  ]);
}

function fileAttributes(file: TestFile): Buffer[] {
  const attributes = [
    tnefAttribute(LEVEL_ATTACHMENT, ATT.attachRendData, Buffer.alloc(14)),
  ];
  if (file.title !== undefined) {
    const title = Buffer.from(`${file.title}\0`, 'latin1');
    attributes.push(tnefAttribute(LEVEL_ATTACHMENT, ATT.attachTitle, title));
  }
  if (file.data !== undefined) {
    attributes.push(tnefAttribute(LEVEL_ATTACHMENT, ATT.attachData, file.data));
  }
  if (file.properties !== undefined) {
    const list = mapiProperties(file.properties);
    attributes.push(tnefAttribute(LEVEL_ATTACHMENT, ATT.attachment, list));
  }

  return attributes;
}

/**
 * A MAPI property list as TNEF writes it.
 *
 * @param properties the properties; numbers are PT_LONG values
 * @returns the encoded list
 */
export function mapiProperties(properties: readonly TestProperty[]): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32LE(properties.length);

  return Buffer.concat([count, ...properties.map(mapiProperty)]);
}

function mapiProperty({ type, id, value }: TestProperty): Buffer {
  const tag = Buffer.alloc(4);
  tag.writeUInt16LE(type, 0);
  tag.writeUInt16LE(id, 2);
  if (typeof value === 'number') {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt32LE(value);
    return Buffer.concat([tag, fixed]);
  }
  const head = Buffer.alloc(8);
  head.writeUInt32LE(1, 0);
  head.writeUInt32LE(value.length, 4);
  const padding = Buffer.alloc((4 - (value.length % 4)) % 4);

  return Buffer.concat([tag, head, value, padding]);
}

/**
 * A PT_UNICODE value with its terminating NUL.
 *
 * @param text the string
 * @returns UTF-16LE bytes
 */
export function unicodeValue(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}
