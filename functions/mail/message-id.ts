/**
 * Message-ID handling for the `Message-ID`, `In-Reply-To` and `References`
 * headers. Ids are returned without angle brackets and with their case
 * kept; compare them case-insensitively.
 */

/**
 * Longest id kept, in characters. Real ids are well under 250; a longer one
 * would only bloat the incident index and the lookup keys built from it.
 */
export const MAX_MESSAGE_ID_CHARS = 500;

const BRACKETED = /<([^<>]*)>/g;

/**
 * Reads the id of a `Message-ID` header value: the first `<...>` token, or
 * the first word when a broken client left the brackets out.
 *
 * @param value the unfolded header value
 * @returns the id without brackets, or undefined when there is none
 * @example
 * normaliseMessageId(' <Abc.1@Example.COM> '); // 'Abc.1@Example.COM'
 */
export function normaliseMessageId(value: string): string | undefined {
  const [first] = bracketedIds(value);
  if (first !== undefined) {
    return first;
  }

  return keep(value.trim().split(/[\s,]+/)[0] ?? '');
}

/**
 * Reads every id of `In-Reply-To` or `References` header values, in order,
 * without duplicates (compared case-insensitively, first one wins).
 * Without brackets, only words that contain `@` count: In-Reply-To often
 * carries prose such as "your message of Monday".
 *
 * @param values the unfolded values of every occurrence of the header
 * @returns the ids without brackets; empty when there are none
 * @example
 * extractMessageIds(['<a@x> <b@x>', '<A@X>']); // ['a@x', 'b@x']
 */
export function extractMessageIds(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const value of values) {
    const found = bracketedIds(value);
    const candidates =
      found.length > 0 ? found : bareIds(value.split(/[\s,]+/));
    for (const id of candidates) {
      const folded = id.toLowerCase();
      if (!seen.has(folded)) {
        seen.add(folded);
        ids.push(id);
      }
    }
  }

  return ids;
}

function bracketedIds(value: string): string[] {
  const ids: string[] = [];
  for (const match of value.matchAll(BRACKETED)) {
    // msg-id has no whitespace; some clients fold long ids inside brackets.
    const id = keep((match[1] ?? '').replace(/\s+/g, ''));
    if (id !== undefined) {
      ids.push(id);
    }
  }

  return ids;
}

function bareIds(words: readonly string[]): string[] {
  return words
    .filter((word) => word.includes('@'))
    .map(keep)
    .filter((id): id is string => id !== undefined);
}

/** Drops a stray bracket left by a broken client, and refuses odd sizes. */
function keep(word: string): string | undefined {
  const id = word.replace(/^<|>$/g, '');

  return id.length > 0 && id.length <= MAX_MESSAGE_ID_CHARS ? id : undefined;
}
