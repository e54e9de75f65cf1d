/**
 * Reads a MAPI property list as TNEF encodes it (MS-OXTNEF 2.1.3.4): a
 * count, then per property its type, id, an optional name and its values.
 * Only string values are kept; other values are skipped by their size.
 */

import { decodeCharset } from './charsets.js';

/** Most properties read from one list; blocks property floods. */
export const MAX_MAPI_PROPERTIES = 1000;
/** Most values read for one property; blocks value floods. */
export const MAX_MAPI_VALUES = 1000;

/** A property of the list, with its text when it is a string. */
export interface MapiProperty {
  /** The property id, e.g. 0x3707 for the long attachment file name. */
  readonly id: number;
  /** The first value of a string property. */
  readonly text?: string;
}

const MULTI_VALUED = 0x1000;
const PT_STRING8 = 0x001e;
const PT_UNICODE = 0x001f;
const PT_BINARY = 0x0102;
const PT_OBJECT = 0x000d;
const VARIABLE_TYPES = new Set([PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT]);
const NAMED_ID_FLOOR = 0x8000;
const GUID_BYTES = 16;

// Fixed-size values, each padded to 4 bytes as TNEF writes them.
const FIXED_SIZES: ReadonlyMap<number, number> = new Map([
  [0x0001, 4],
  [0x0002, 4],
  [0x0003, 4],
  [0x0004, 4],
  [0x0005, 8],
  [0x0006, 8],
  [0x0007, 8],
  [0x000a, 4],
  [0x000b, 4],
  [0x0014, 8],
  [0x0040, 8],
  [0x0048, 16],
]);

/** Thrown inside the reader when the list runs past its bytes. */
class TruncatedListError extends Error {
  constructor() {
    super('MAPI property list ends early');
    this.name = 'TruncatedListError';
  }
}

class Cursor {
  offset = 0;

  constructor(private readonly bytes: Buffer) {}

  uint16(): number {
    return this.take(2).readUInt16LE(0);
  }

  uint32(): number {
    return this.take(4).readUInt32LE(0);
  }

  /** Takes `length` bytes and the padding to the next multiple of 4. */
  padded(length: number): Buffer {
    const value = this.take(length);
    this.take((4 - (length % 4)) % 4);

    return value;
  }

  take(length: number): Buffer {
    if (length > this.bytes.length - this.offset) {
      throw new TruncatedListError();
    }
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;

    return value;
  }
}

/**
 * Reads the properties of a list, stopping quietly at the first one that
 * is cut short or of an unknown type.
 *
 * @param data the attribute data holding the list
 * @param codepage the stream's code page, for 8-bit strings
 * @returns the properties read, in order
 */
export function readMapiProperties(
  data: Buffer,
  codepage: string,
): MapiProperty[] {
  const cursor = new Cursor(data);
  const properties: MapiProperty[] = [];
  try {
    const count = Math.min(cursor.uint32(), MAX_MAPI_PROPERTIES);
    for (let index = 0; index < count; index += 1) {
      const property = readProperty(cursor, codepage);
      if (property === undefined) {
        break;
      }
      properties.push(property);
    }
  } catch (error) {
    if (!(error instanceof TruncatedListError)) {
      throw error;
    }
  }

  return properties;
}

function readProperty(
  cursor: Cursor,
  codepage: string,
): MapiProperty | undefined {
  const type = cursor.uint16();
  const id = cursor.uint16();
  if (id >= NAMED_ID_FLOOR && !skipName(cursor)) {
    return undefined;
  }
  const baseType = type & ~MULTI_VALUED;
  if (VARIABLE_TYPES.has(baseType)) {
    const values = readVariableValues(cursor);
    const first = values[0];

    return first === undefined || !isStringType(baseType)
      ? { id }
      : { id, text: decodeStringValue(first, baseType, codepage) };
  }
  const size = FIXED_SIZES.get(baseType);
  if (size === undefined) {
    return undefined;
  }
  const count = type & MULTI_VALUED ? cursor.uint32() : 1;
  if (count > MAX_MAPI_VALUES) {
    return undefined;
  }
  cursor.take(count * size);

  return { id };
}

/** Skips the GUID and the id or name of a named property. */
function skipName(cursor: Cursor): boolean {
  cursor.take(GUID_BYTES);
  const kind = cursor.uint32();
  if (kind === 0) {
    cursor.uint32();
    return true;
  }
  if (kind === 1) {
    cursor.padded(cursor.uint32());
    return true;
  }

  return false;
}

/** String, binary and object properties: a count, then sized values. */
function readVariableValues(cursor: Cursor): Buffer[] {
  const count = cursor.uint32();
  if (count > MAX_MAPI_VALUES) {
    throw new TruncatedListError();
  }
  const values: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    values.push(cursor.padded(cursor.uint32()));
  }

  return values;
}

function isStringType(type: number): boolean {
  return type === PT_STRING8 || type === PT_UNICODE;
}

function decodeStringValue(
  value: Buffer,
  type: number,
  codepage: string,
): string {
  return type === PT_UNICODE
    ? value.toString('utf16le').replace(/\0+$/, '')
    : decodeString8(value, codepage);
}

/**
 * Decodes an 8-bit TNEF string up to its NUL, in the stream's code page
 * (windows-1252 when that is unknown).
 *
 * @param data the string's bytes
 * @param codepage e.g. `cp1252`
 * @returns the text
 */
export function decodeString8(data: Buffer, codepage: string): string {
  const nul = data.indexOf(0);
  const bytes = nul === -1 ? data : data.subarray(0, nul);

  return (
    decodeCharset(bytes, codepage) ??
    decodeCharset(bytes, 'windows-1252') ??
    bytes.toString('latin1')
  );
}
