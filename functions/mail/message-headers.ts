/**
 * The top-level header fields of a message: the header map, the addresses
 * and the thread ids, read from the header section itself.
 */

import { type EmailAddress, parseAddressHeader } from 'mailparser';
import type { Address } from '../model.js';
import { MailParseError } from './errors.js';
import { extractMessageIds } from './message-id.js';

// RFC 5322 field names: printable ASCII without the colon. A line without
// one (an mbox "From " line, a body with no header) is not a header.
const FIELD_NAME = /^[!-9;-~]+$/;

/**
 * Splits a header section into fields.
 *
 * @param header the top-level header section, UTF-8
 * @param maxLines the most fields accepted
 * @returns lower-case field name to unfolded, trimmed values, in order
 * @throws MailParseError `no-headers` when there is no field, and
 *   `too-many-header-lines` past `maxLines`
 */
export function readHeaderFields(
  header: Buffer,
  maxLines: number,
): Map<string, string[]> {
  const fields = splitFields(header.toString('utf8'));
  if (fields.length === 0) {
    throw new MailParseError(
      'no-headers',
      'message has no header section; quarantine it',
    );
  }
  if (fields.length > maxLines) {
    throw new MailParseError(
      'too-many-header-lines',
      `message has ${fields.length} header lines, over the limit of ${maxLines}; quarantine it`,
    );
  }

  const headers = new Map<string, string[]>();
  for (const [name, value] of fields) {
    const values = headers.get(name) ?? [];
    values.push(value);
    headers.set(name, values);
  }

  return headers;
}

/** Name and value of each field; folding removed, its blanks kept. */
function splitFields(text: string): [string, string][] {
  const fields: [string, string][] = [];
  for (const line of text.split(/\r?\n(?![ \t])/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && FIELD_NAME.test(name)) {
      const value = line.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, '');
      fields.push([name, value.trim()]);
    }
  }

  return fields;
}

/**
 * Every address of every occurrence of a field, groups flattened. A
 * message with two From headers gets the first one that holds an address
 * first: spam and broken gateways put a bare display name first.
 *
 * @param headers a header map from {@link readHeaderFields}
 * @param name a lower-case field name
 * @returns the addresses, in header order
 */
export function readAddresses(
  headers: ReadonlyMap<string, string[]>,
  name: string,
): Address[] {
  return flattenAddresses(parseAddressHeader(headers.get(name) ?? []).value);
}

function flattenAddresses(entries: readonly EmailAddress[]): Address[] {
  return entries.flatMap((entry): Address[] => {
    if (entry.group !== undefined) {
      return flattenAddresses(entry.group);
    }
    // A stray bracket (`"x"@example.com>`) is never part of an address.
    const address = (entry.address ?? '').trim().replace(/^<+|>+$/g, '');
    if (address === '') {
      return [];
    }
    const name = entry.name.trim();

    return [name === '' ? { address } : { address, name }];
  });
}

/**
 * The message ids of all occurrences of a field.
 *
 * @param headers a header map from {@link readHeaderFields}
 * @param name `in-reply-to` or `references`
 * @returns the ids without brackets, in header order, repeats removed
 */
export function readThreadIds(
  headers: ReadonlyMap<string, string[]>,
  name: string,
): string[] {
  return extractMessageIds(headers.get(name) ?? []);
}
