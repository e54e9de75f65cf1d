/**
 * A cheap first pass over the raw message: where each MIME part's header
 * and body lie, and what the headers say about type and charset. It looks
 * only at header sections and lines that start with `--`, so its work is
 * linear in the message size, and it refuses a structure that is too big
 * before the MIME parser builds a tree of it.
 */

import { MailParseError } from './errors.js';

/** One MIME part (the message itself is the first). */
export interface MimeNode {
  /** Offset of the part's first header byte. */
  readonly headerStart: number;
  /** Offset of the first body byte (after the blank line). */
  readonly bodyStart: number;
  /** Offset after the last body byte. */
  readonly bodyEnd: number;
  /** Lower-case `type/subtype`; the RFC 2045 default when missing. */
  readonly contentType: string;
  /** Lower-case `charset` parameter, if any. */
  readonly charset?: string;
  /** Lower-case Content-Transfer-Encoding; '' when missing. */
  readonly transferEncoding: string;
  /** Lower-case disposition type; '' when missing. */
  readonly disposition: string;
  /** Multipart nesting level: 0 for the message itself. */
  readonly depth: number;
}

/** Limits the outline enforces. */
export interface OutlineLimits {
  /** Most parts, the message itself included. */
  readonly maxParts: number;
  /** Deepest multipart nesting. */
  readonly maxDepth: number;
  /** Largest header section of one part, in bytes. */
  readonly maxHeaderBytes: number;
}

interface Field {
  readonly value: string;
  readonly params: string;
}

interface OpenMultipart {
  readonly boundary: Buffer;
  readonly depth: number;
  readonly childType: string;
}

interface MutableNode extends Omit<MimeNode, 'bodyEnd'> {
  bodyEnd: number;
}

/**
 * Lists the parts of a message in document order. Parts inside a
 * message/rfc822 part are not listed: the parser keeps such a part whole,
 * as an attachment.
 *
 * @param raw the message bytes
 * @param limits the structure limits
 * @returns every part, the message itself first
 * @throws MailParseError `too-complex` past a limit
 * @example
 * outlineMime(raw, { maxParts: 500, maxDepth: 32, maxHeaderBytes: 262144 })
 *   .filter((node) => node.contentType === 'text/plain');
 */
export function outlineMime(raw: Buffer, limits: OutlineLimits): MimeNode[] {
  const root = readNode(raw, 0, 0, 'text/plain', limits);
  const nodes: MutableNode[] = [root];
  const open: OpenMultipart[] = [];
  // The leaf whose body the next delimiter ends; multiparts have none.
  let current = pushIfMultipart(raw, root, open, limits) ? undefined : root;
  let search = root.bodyStart - 1;

  while (open.length > 0) {
    const lineStart = findHyphenLine(raw, search);
    if (lineStart === -1) {
      break;
    }
    const lineEnd = endOfLine(raw, lineStart);
    search = lineEnd;
    const match = matchDelimiter(raw, lineStart, lineEnd, open);
    if (match === undefined) {
      continue;
    }
    if (current !== undefined) {
      current.bodyEnd = bodyEndBefore(raw, lineStart);
    }
    current = undefined;
    open.length = match.level + (match.closing ? 0 : 1);
    const parent = open.at(-1);
    if (match.closing || parent === undefined) {
      continue;
    }
    if (nodes.length >= limits.maxParts) {
      throw new MailParseError(
        'too-complex',
        `message has more than ${limits.maxParts} MIME parts; quarantine it`,
      );
    }
    const node = readNode(
      raw,
      Math.min(lineEnd + 1, raw.length),
      parent.depth + 1,
      parent.childType,
      limits,
    );
    nodes.push(node);
    current = pushIfMultipart(raw, node, open, limits) ? undefined : node;
    search = node.bodyStart - 1;
  }

  return nodes;
}

/**
 * Opens a multipart with a boundary; one without is read as a leaf, as the
 * parser reads it.
 */
function pushIfMultipart(
  raw: Buffer,
  node: MutableNode,
  open: OpenMultipart[],
  limits: OutlineLimits,
): boolean {
  if (!node.contentType.startsWith('multipart/')) {
    return false;
  }
  const header = raw.toString('latin1', node.headerStart, node.bodyStart);
  const boundary = findParam(readField(header, 'content-type'), 'boundary');
  if (boundary === undefined || boundary === '') {
    return false;
  }
  if (node.depth + 1 > limits.maxDepth) {
    throw new MailParseError(
      'too-complex',
      `message nests multiparts deeper than ${limits.maxDepth} levels; quarantine it`,
    );
  }
  open.push({
    boundary: Buffer.from(boundary, 'latin1'),
    depth: node.depth,
    // RFC 2046 5.1.5: the parts of a digest are messages by default.
    childType:
      node.contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain',
  });

  return true;
}

function readNode(
  raw: Buffer,
  headerStart: number,
  depth: number,
  defaultType: string,
  limits: OutlineLimits,
): MutableNode {
  const bodyStart = findBodyStart(
    raw,
    headerStart,
    headerStart + limits.maxHeaderBytes + 1,
  );
  if (bodyStart - headerStart > limits.maxHeaderBytes) {
    throw new MailParseError(
      'too-complex',
      `a MIME part has a header of more than ${limits.maxHeaderBytes} bytes; quarantine it`,
    );
  }
  const header = raw.toString('latin1', headerStart, bodyStart);
  const type = readField(header, 'content-type');
  const contentType = /^[\w.+-]+\/[\w.+-]+$/.test(type?.value ?? '')
    ? (type?.value ?? defaultType)
    : defaultType;
  const charset = findParam(type, 'charset')?.toLowerCase();

  return {
    headerStart,
    bodyStart,
    bodyEnd: raw.length,
    contentType,
    ...(charset === undefined || charset === '' ? {} : { charset }),
    transferEncoding:
      readField(header, 'content-transfer-encoding')?.value ?? '',
    disposition: readField(header, 'content-disposition')?.value ?? '',
    depth,
  };
}

/**
 * Offset after the blank line that ends the header starting at `from`, or
 * of a delimiter-looking line for a part with a header and no body. The
 * search stops at `stop`, past which a header is too large anyway.
 */
function findBodyStart(raw: Buffer, from: number, stop: number): number {
  let lineStart = from;
  while (lineStart < raw.length && lineStart <= stop) {
    const lineEnd = endOfLine(raw, lineStart);
    const line = raw.subarray(lineStart, lineEnd);
    if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) {
      return Math.min(lineEnd + 1, raw.length);
    }
    if (line[0] === 0x2d && line[1] === 0x2d) {
      return lineStart;
    }
    lineStart = lineEnd + 1;
  }

  return raw.length;
}

/**
 * The start of the next line that begins with `--`, after the line break
 * at or after `from`. A plain byte loop: in a body of short lines it is
 * several times faster than a native search called once per line.
 */
function findHyphenLine(raw: Buffer, from: number): number {
  const last = raw.length - 2;
  for (let index = Math.max(from, 0); index < last; index += 1) {
    if (
      raw[index] === 0x0a &&
      raw[index + 1] === 0x2d &&
      raw[index + 2] === 0x2d
    ) {
      return index + 1;
    }
  }

  return -1;
}

function endOfLine(raw: Buffer, from: number): number {
  const end = raw.indexOf(0x0a, from);

  return end === -1 ? raw.length : end;
}

/** The CRLF or LF before a delimiter belongs to the delimiter (RFC 2046). */
function bodyEndBefore(raw: Buffer, lineStart: number): number {
  const withoutLf = Math.max(lineStart - 1, 0);

  return raw[withoutLf - 1] === 0x0d ? withoutLf - 1 : withoutLf;
}

/**
 * Which open multipart a `--` line delimits, innermost first; a delimiter
 * of an outer multipart also ends the inner ones (RFC 2046 5.1.2). Bytes
 * are compared in place: a body of a million `--` lines costs no strings.
 */
function matchDelimiter(
  raw: Buffer,
  lineStart: number,
  lineEnd: number,
  open: readonly OpenMultipart[],
): { level: number; closing: boolean } | undefined {
  const start = lineStart + 2;
  let end = lineEnd;
  while (end > start && isBlankByte(raw[end - 1])) {
    end -= 1;
  }
  const length = end - start;
  const closes = length >= 2 && raw[end - 1] === 0x2d && raw[end - 2] === 0x2d;
  for (let level = open.length - 1; level >= 0; level -= 1) {
    const boundary = open[level]?.boundary ?? Buffer.alloc(0);
    if (length === boundary.length && boundary.compare(raw, start, end) === 0) {
      return { level, closing: false };
    }
    if (
      closes &&
      length === boundary.length + 2 &&
      boundary.compare(raw, start, end - 2) === 0
    ) {
      return { level, closing: true };
    }
  }

  return undefined;
}

/** Space, tab or CR: transport padding after a delimiter (RFC 2046). */
function isBlankByte(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

/** The first occurrence of a field, unfolded, with its value lower-cased. */
function readField(header: string, name: string): Field | undefined {
  const pattern = new RegExp(`(?:^|\\n)${name}[ \\t]*:`, 'i');
  const found = pattern.exec(header);
  if (found === null) {
    return undefined;
  }
  const start = found.index + found[0].length;
  const end = header.slice(start).search(/\r?\n(?![ \t])/);
  const unfolded = header
    .slice(start, end === -1 ? header.length : start + end)
    .replace(/\r?\n/g, '');
  const semicolon = unfolded.indexOf(';');
  const value = semicolon === -1 ? unfolded : unfolded.slice(0, semicolon);

  return {
    value: value.trim().toLowerCase(),
    params: semicolon === -1 ? '' : unfolded.slice(semicolon),
  };
}

function findParam(field: Field | undefined, name: string): string | undefined {
  const pattern = new RegExp(
    `;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^\\s;]+))`,
    'i',
  );
  const found = field === undefined ? null : pattern.exec(field.params);

  return found === null ? undefined : (found[1] ?? found[2]);
}
