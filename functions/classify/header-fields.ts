/**
 * Small readers for header-style text: the parser's header map, and the
 * field blocks found inside report parts and attached messages.
 */

/** Lower-case field name to its unfolded values, in order. */
export type HeaderMap = ReadonlyMap<string, readonly string[]>;

/**
 * Most bytes of a part read as fields (a delivery-status part, the header
 * section of an attached message). Real ones are a few kilobytes; the cap
 * keeps a hostile part from costing more than that.
 */
export const MAX_FIELD_BLOCK_BYTES = 64 * 1024;

/**
 * Every value of a field, trimmed.
 *
 * @param headers the header map
 * @param name the field name, lower case
 * @returns the values; empty when the field is absent
 */
export function fieldValues(headers: HeaderMap, name: string): string[] {
  return (headers.get(name) ?? []).map((value) => value.trim());
}

/**
 * The media type of a Content-Type value, lower case, without parameters.
 *
 * @param value a Content-Type value such as `multipart/report; a=b`
 * @returns e.g. `multipart/report`; '' for an empty value
 */
export function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * One parameter of a Content-Type value, lower case, quotes removed.
 *
 * @param value the Content-Type value
 * @param name the parameter name, lower case
 * @returns the parameter's value, or undefined
 * @example
 * mediaParameter('multipart/report; report-type="delivery-status"', 'report-type');
 * // 'delivery-status'
 */
export function mediaParameter(
  value: string,
  name: string,
): string | undefined {
  for (const part of value.split(';').slice(1)) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim().toLowerCase() !== name) continue;

    return part
      .slice(at + 1)
      .trim()
      .replace(/^"|"$/g, '')
      .toLowerCase();
  }

  return undefined;
}

/**
 * Reads `Name: value` fields from text, unfolding continuation lines. Blank
 * lines are skipped rather than ending the block, so the per-recipient
 * groups of a delivery-status part come out as one map.
 *
 * @param text the field block, at most MAX_FIELD_BLOCK_BYTES of it is read
 * @returns lower-case name to values
 */
export function readFieldBlock(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let current: { name: string; value: string } | undefined;
  const flush = () => {
    if (!current) return;
    const values = fields.get(current.name) ?? [];
    values.push(current.value.trim());
    fields.set(current.name, values);
    current = undefined;
  };
  for (const line of text.slice(0, MAX_FIELD_BLOCK_BYTES).split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      current.value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const match = /^([!-9;-~]+):(.*)$/.exec(line);
    if (match)
      current = { name: (match[1] ?? '').toLowerCase(), value: match[2] ?? '' };
  }
  flush();

  return fields;
}

/**
 * The header section of a message held in bytes: everything before the
 * first empty line, capped at MAX_FIELD_BLOCK_BYTES.
 *
 * @param bytes the message, or just its header section
 * @returns the header text, decoded as Latin-1 so no byte is lost
 */
export function headerSection(bytes: Buffer): string {
  const text = bytes
    .subarray(0, MAX_FIELD_BLOCK_BYTES)
    .toString('latin1')
    .replace(/^(?:\r?\n)+/, '');
  const end = text.search(/\r?\n\r?\n/);

  return end < 0 ? text : text.slice(0, end);
}
