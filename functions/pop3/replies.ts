import { Pop3ProtocolError } from './errors.js';
import type { Pop3Reply } from './response-reader.js';

/** What a CAPA reply advertises (RFC 2449). */
export interface Pop3Capabilities {
  /** Capability names, upper-cased, e.g. `PIPELINING`, `STLS`, `SASL`. */
  readonly names: ReadonlySet<string>;
  /** SASL mechanisms listed after `SASL`, upper-cased, e.g. `PLAIN`. */
  readonly saslMechanisms: ReadonlySet<string>;
}

/** One line of a LIST reply. */
export interface Pop3ListEntry {
  /** Message number in this session (1-based). */
  readonly msgNo: number;
  /** Size in octets as the server counts it (CRLF line ends). */
  readonly size: number;
}

/** One line of a UIDL reply. */
export interface Pop3UidlEntry {
  /** Message number in this session (1-based). */
  readonly msgNo: number;
  /** The server's unique id for the message, stable across sessions. */
  readonly uid: string;
}

/** Mailbox totals from STAT. */
export interface Pop3Stat {
  /** Number of messages not marked deleted. */
  readonly count: number;
  /** Their total size in octets. */
  readonly size: number;
}

/** Capabilities of a server that does not understand CAPA. */
export const NO_CAPABILITIES: Pop3Capabilities = {
  names: new Set(),
  saslMechanisms: new Set(),
};

/**
 * Parses the body of a CAPA reply.
 * @param body the dot-unstuffed body
 * @returns names and SASL mechanisms
 */
export function parseCapabilities(body: Buffer): Pop3Capabilities {
  const names = new Set<string>();
  const saslMechanisms = new Set<string>();
  for (const words of splitLines(body)) {
    const [name, ...args] = words;
    if (name === undefined) continue;
    names.add(name.toUpperCase());
    if (name.toUpperCase() === 'SASL') {
      for (const mechanism of args) saslMechanisms.add(mechanism.toUpperCase());
    }
  }

  return { names, saslMechanisms };
}

/**
 * Parses the body of a LIST reply without argument.
 * @param body the dot-unstuffed body
 * @returns one entry per message, in server order
 * @throws {Pop3ProtocolError} when a line is not `msgNo size`
 */
export function parseList(body: Buffer): Pop3ListEntry[] {
  return splitLines(body).map((words) => ({
    msgNo: parseCount(words[0], 'LIST'),
    size: parseCount(words[1], 'LIST'),
  }));
}

/**
 * Parses the body of a UIDL reply without argument.
 * @param body the dot-unstuffed body
 * @returns one entry per message, in server order
 * @throws {Pop3ProtocolError} when a line is not `msgNo uid`
 */
export function parseUidl(body: Buffer): Pop3UidlEntry[] {
  return splitLines(body).map((words) => {
    const uid = words[1];
    if (uid === undefined || !/^[\x21-\x7e]{1,70}$/.test(uid)) {
      throw malformed('UIDL');
    }

    return { msgNo: parseCount(words[0], 'UIDL'), uid };
  });
}

/**
 * Parses the text of a STAT `+OK` reply.
 * @param text the status text, e.g. `2 320`
 * @returns message count and total size
 * @throws {Pop3ProtocolError} when the text is not `count size`
 */
export function parseStat(text: string): Pop3Stat {
  const [count, size] = text.split(' ');

  return {
    count: parseCount(count, 'STAT'),
    size: parseCount(size, 'STAT'),
  };
}

/**
 * Reads the RFC 2449 response code at the start of a reply text.
 * @param text the text after `-ERR`, e.g. `[IN-USE] mailbox locked`
 * @returns the code without brackets, upper-cased, or `undefined`
 */
export function readResponseCode(text: string): string | undefined {
  const match = /^\[([^\]\s]+)\]/.exec(text);

  return match?.[1]?.toUpperCase();
}

/**
 * Turns a `-ERR` (or an unexpected continuation) into an error.
 * @param reply the server's reply
 * @param line the command as named in the message; its first word is the
 *   command name. Never a line that holds a secret.
 * @param options `retryable` overrides the response-code default, for a
 *   refused greeting, which usually means "busy"
 * @returns the reply when it is `+OK`
 * @throws {Pop3ProtocolError} otherwise
 */
export function assertOk(
  reply: Pop3Reply,
  line: string,
  options: { retryable?: boolean } = {},
): Pop3Reply {
  if (reply.status === 'ok') return reply;

  throw new Pop3ProtocolError(
    line.split(' ')[0] as string,
    `POP3 server refused ${line}: ${reply.text}`,
    {
      responseCode: readResponseCode(reply.text),
      serverText: reply.text,
      retryable: options.retryable,
    },
  );
}

function splitLines(body: Buffer): string[][] {
  return body
    .toString('latin1')
    .split('\r\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split(' ').filter((word) => word.length > 0));
}

function parseCount(word: string | undefined, command: string): number {
  if (word === undefined || !/^\d{1,15}$/.test(word)) {
    throw malformed(command);
  }

  return Number(word);
}

function malformed(command: string): Pop3ProtocolError {
  return new Pop3ProtocolError(
    command,
    `POP3 reply to ${command} is malformed; the server does not follow RFC 1939`,
  );
}
