import { Pop3ProtocolError } from './errors.js';

/**
 * Longest status line accepted, CRLF included. RFC 2449 allows 512 octets;
 * the slack tolerates chatty servers while a server that never sends a line
 * end cannot make the client buffer without limit.
 */
export const MAX_STATUS_LINE_BYTES = 8 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LINE_START = Buffer.from('\r\n', 'latin1');
const TERMINATOR = Buffer.from('\r\n.\r\n', 'latin1');
const LF_DOT = Buffer.from('\n.', 'latin1');
const TAIL_BYTES = TERMINATOR.length - 1;

/**
 * Room added to an announced size: byte-stuffing and line-end repair make
 * the wire body a little longer than the message, and growing the buffer
 * would cost a copy of everything read so far.
 */
const ANNOUNCED_SIZE_SLACK = 1.01;

/**
 * A body using less than this share of its buffer is copied out, so a size
 * announced too large cannot pin a large buffer per message.
 */
const MIN_BUFFER_USE = 0.5;

/** `+OK 52428800 octets`, as RFC 1939 shows and most servers answer RETR. */
const OCTETS_PATTERN = /^(\d{1,12}) octets\b/i;

/** Whether a command answers with a status line only or also a body. */
export type ReplyShape = 'single' | 'multi';

/** One parsed server reply. */
export interface Pop3Reply {
  /** `+OK`, `-ERR`, or `+` (SASL continuation). */
  readonly status: 'ok' | 'err' | 'continue';
  /** The status line after the status indicator, decoded as latin1. */
  readonly text: string;
  /**
   * The body of a multi-line `+OK` reply: dot-unstuffed, CRLF kept, final
   * `.` line removed. Absent for single-line replies and for `-ERR`.
   */
  readonly body?: Buffer;
}

/**
 * Turns the server's byte stream into replies. Bytes may arrive split at any
 * offset and several replies may share one chunk; the caller says which
 * shape the next reply has, because POP3 replies do not carry it.
 */
export class ResponseReader {
  private readonly input: Buffer[] = [];
  private statusParts: Buffer[] = [];
  private statusBytes = 0;
  private status: Omit<Pop3Reply, 'body'> | undefined;
  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  /** Where the body is copied as it arrives, when its size was announced. */
  private bodyBuffer: Buffer | undefined;
  private tail: Buffer = LINE_START;

  /**
   * @param maxBodyBytes largest multi-line body accepted before the reply
   *   is refused as a protocol error
   */
  constructor(private readonly maxBodyBytes: number) {}

  /**
   * Queues bytes received from the server.
   * @param chunk raw bytes, kept by reference
   */
  push(chunk: Buffer): void {
    if (chunk.length > 0) this.input.push(chunk);
  }

  /** Whether no received bytes are waiting and no reply is half-read. */
  get idle(): boolean {
    return (
      this.input.length === 0 &&
      this.statusBytes === 0 &&
      this.status === undefined
    );
  }

  /**
   * Reads the next reply if all of it has arrived.
   * @param shape the shape the pending command's reply has when `+OK`
   * @param command the command name, used in errors
   * @returns the reply, or `undefined` until more bytes arrive
   * @throws {Pop3ProtocolError} when the status line is malformed or a limit
   *   is exceeded
   */
  read(shape: ReplyShape, command: string): Pop3Reply | undefined {
    if (this.status === undefined) {
      const line = this.takeLine(command);
      if (line === undefined) return undefined;

      const status = parseStatusLine(line, command);
      if (shape === 'single' || status.status !== 'ok') return status;
      this.status = status;
      this.bodyBuffer = this.announcedBuffer(status.text);
    }

    const body = this.takeBody(command);
    if (body === undefined) return undefined;

    const reply = { ...this.status, body: removeDotStuffing(body) };
    this.status = undefined;

    return reply;
  }

  private takeLine(command: string): Buffer | undefined {
    while (this.input.length > 0) {
      const chunk = this.input[0] as Buffer;
      const end = chunk.indexOf(LF);
      const part = end < 0 ? chunk : chunk.subarray(0, end + 1);
      this.statusParts.push(part);
      this.statusBytes += part.length;
      if (this.statusBytes > MAX_STATUS_LINE_BYTES) {
        throw new Pop3ProtocolError(
          command,
          `POP3 reply to ${command} has a status line over ${MAX_STATUS_LINE_BYTES} bytes; the server is not speaking POP3`,
        );
      }
      this.consume(part.length);
      if (end >= 0) {
        const line = Buffer.concat(this.statusParts, this.statusBytes);
        this.statusParts = [];
        this.statusBytes = 0;

        return line;
      }
    }

    return undefined;
  }

  /**
   * Collects the body and looks for CRLF "." CRLF, also across chunk
   * boundaries. Each byte is copied once: into the buffer of the announced
   * size as it arrives (so received chunks are freed at once and a large
   * message is held once, not twice), or else from the chunks kept by
   * reference at the end. The body is read as if preceded by CRLF, so an
   * empty body is found too.
   */
  private takeBody(command: string): Buffer | undefined {
    while (this.input.length > 0) {
      const chunk = this.input[0] as Buffer;
      const at = this.findTerminator(chunk);
      if (at !== undefined) {
        const bodyLength = this.bodyBytes + at + LINE_START.length;
        this.assertWithinLimit(bodyLength, command);
        const body = this.finishBody(chunk, bodyLength);
        this.consume(at + TERMINATOR.length);
        this.resetBody();

        return body;
      }

      this.keepBodyChunk(chunk);
      this.bodyBytes += chunk.length;
      this.assertWithinLimit(this.bodyBytes, command);
      this.tail =
        chunk.length >= TAIL_BYTES
          ? chunk.subarray(-TAIL_BYTES)
          : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
      this.input.shift();
    }

    return undefined;
  }

  /**
   * Finds where the terminator starts, relative to `chunk`; negative when it
   * starts in bytes already collected, which only the tail still shows.
   */
  private findTerminator(chunk: Buffer): number | undefined {
    const seam = Buffer.concat([this.tail, chunk.subarray(0, TAIL_BYTES)]);
    const acrossAt = seam.indexOf(TERMINATOR);
    if (acrossAt >= 0) return acrossAt - this.tail.length;

    const at = chunk.indexOf(TERMINATOR);

    return at < 0 ? undefined : at;
  }

  private assertWithinLimit(bodyBytes: number, command: string): void {
    if (bodyBytes > this.maxBodyBytes) {
      throw new Pop3ProtocolError(
        command,
        `POP3 reply to ${command} is over ${this.maxBodyBytes} bytes; raise maxResponseBytes or skip this message`,
      );
    }
  }

  private consume(bytes: number): void {
    const chunk = this.input[0] as Buffer;
    if (bytes >= chunk.length) {
      this.input.shift();
    } else {
      this.input[0] = chunk.subarray(bytes);
    }
  }

  private resetBody(): void {
    this.bodyParts = [];
    this.bodyBytes = 0;
    this.bodyBuffer = undefined;
    this.tail = LINE_START;
  }

  /** A buffer for the size the status line announces, within the limit. */
  private announcedBuffer(statusText: string): Buffer | undefined {
    const match = OCTETS_PATTERN.exec(statusText);
    if (match === null) return undefined;
    const announced = Number(match[1]);

    return Buffer.allocUnsafe(
      Math.min(Math.ceil(announced * ANNOUNCED_SIZE_SLACK), this.maxBodyBytes),
    );
  }

  private keepBodyChunk(chunk: Buffer): void {
    if (this.bodyBuffer === undefined) {
      this.bodyParts.push(chunk);
      return;
    }
    if (this.bodyBytes + chunk.length > this.bodyBuffer.length) {
      // Announced too small: keep what is copied and go on by reference.
      this.bodyParts.push(this.bodyBuffer.subarray(0, this.bodyBytes), chunk);
      this.bodyBuffer = undefined;
      return;
    }
    chunk.copy(this.bodyBuffer, this.bodyBytes);
  }

  private finishBody(lastChunk: Buffer, bodyLength: number): Buffer {
    const buffer = this.bodyBuffer;
    const fromLast = bodyLength - this.bodyBytes;
    if (buffer === undefined || bodyLength > buffer.length) {
      if (buffer !== undefined) {
        this.bodyParts.push(buffer.subarray(0, this.bodyBytes));
      }
      this.bodyParts.push(lastChunk);

      return Buffer.concat(this.bodyParts, bodyLength);
    }
    if (fromLast > 0) lastChunk.copy(buffer, this.bodyBytes, 0, fromLast);
    const body = buffer.subarray(0, bodyLength);

    return bodyLength < buffer.length * MIN_BUFFER_USE
      ? Buffer.from(body)
      : body;
  }
}

/**
 * Parses `+OK text`, `-ERR text` or a `+ ` continuation.
 * @param line the status line with its line end
 * @param command the command name, used in errors
 * @returns the reply without body
 * @throws {Pop3ProtocolError} when the line is none of those
 */
function parseStatusLine(
  line: Buffer,
  command: string,
): Omit<Pop3Reply, 'body'> {
  let end = line.length - 1;
  if (end > 0 && line[end - 1] === CR) end -= 1;
  const text = line.toString('latin1', 0, end);
  const match = /^(\+OK|-ERR|\+)(?: (.*))?$/i.exec(text);
  if (match === null) {
    throw new Pop3ProtocolError(
      command,
      `POP3 reply to ${command} does not start with +OK or -ERR; the server is not speaking POP3`,
    );
  }

  const indicator = (match[1] as string).toUpperCase();
  const status =
    indicator === '+OK' ? 'ok' : indicator === '-ERR' ? 'err' : 'continue';

  return { status, text: match[2] ?? '' };
}

/**
 * Removes the extra "." the server put before each line that starts with
 * one (RFC 1939 byte-stuffing), in place. A line starts after LF rather
 * than CRLF because servers that stuff without normalising line ends
 * (Dovecot among them) look at LF.
 * @param body the body with its final CRLF; reused as the output buffer
 * @returns a view of `body` holding the original message bytes
 */
export function removeDotStuffing(body: Buffer): Buffer {
  let read = 0;
  let write = 0;
  let dot = body[0] === DOT ? 0 : findStuffedDot(body, 0);
  while (dot >= 0) {
    body.copy(body, write, read, dot);
    write += dot - read;
    read = dot + 1;
    dot = findStuffedDot(body, read);
  }
  body.copy(body, write, read);
  write += body.length - read;

  return body.subarray(0, write);
}

function findStuffedDot(body: Buffer, from: number): number {
  const at = body.indexOf(LF_DOT, from);

  return at < 0 ? -1 : at + 1;
}
