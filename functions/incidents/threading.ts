/**
 * Decides whether an incoming message continues an existing incident or
 * starts a new one. Pure apart from the lookups it is given.
 */
import type { ParsedMessage } from '../mail/parse-message.js';
import { findReferenceNumbers } from './reference-number.js';

/**
 * Most subject reference numbers checked for existence; a subject stuffed
 * with numbers must not turn into a burst of store reads.
 */
export const MAX_SUBJECT_REFERENCE_LOOKUPS = 5;

/** The lookups threading needs from the incident store. */
export interface ThreadLookup {
  /**
   * Reference number of an incident that holds one of these Message-IDs.
   * Ids come without brackets, in priority order (most wanted first), and
   * are matched case-insensitively; an implementation that can keep the
   * order should answer for the earliest id it knows.
   */
  findByMessageIds(ids: string[]): Promise<string | undefined>;
  /** Tells whether an incident with this reference number exists. */
  exists(referenceNumber: string): Promise<boolean>;
}

/** How a message was matched to an existing incident. */
export type ThreadVia = 'in-reply-to' | 'references' | 'subject';

/** The outcome: add to an incident, or create a new one. */
export type ThreadDecision =
  | { kind: 'thread'; referenceNumber: string; via: ThreadVia }
  | { kind: 'new' };

/**
 * Finds the incident a message belongs to. Tried in order: the In-Reply-To
 * ids, the References ids newest first, then reference numbers in the
 * subject that name an existing incident. Anything unknown means new.
 *
 * @param message the parsed message (only its ids and subject are read)
 * @param lookup the store queries
 * @returns the incident to thread onto, or `{ kind: 'new' }`
 * @example
 * await decideThread(parsed, lookup);
 * // { kind: 'thread', referenceNumber: '261204-000123', via: 'in-reply-to' }
 */
export async function decideThread(
  message: Pick<
    ParsedMessage,
    'messageId' | 'inReplyTo' | 'references' | 'subject'
  >,
  lookup: ThreadLookup,
): Promise<ThreadDecision> {
  const own = message.messageId?.toLowerCase();
  const asked = new Set<string>(own === undefined ? [] : [own]);
  const inReplyTo = unasked(message.inReplyTo, asked);
  const references = unasked([...message.references].reverse(), asked);

  const viaReply = await findByIds(inReplyTo, lookup);
  if (viaReply !== undefined) {
    return thread(viaReply, 'in-reply-to');
  }
  const viaReferences = await findByIds(references, lookup);
  if (viaReferences !== undefined) {
    return thread(viaReferences, 'references');
  }
  const candidates = findReferenceNumbers(message.subject).slice(
    0,
    MAX_SUBJECT_REFERENCE_LOOKUPS,
  );
  for (const referenceNumber of candidates) {
    if (await lookup.exists(referenceNumber)) {
      return thread(referenceNumber, 'subject');
    }
  }

  return { kind: 'new' };
}

/**
 * Drops ids already asked about (and the message's own id, which a looping
 * or resent message may carry), comparing case-insensitively.
 */
function unasked(ids: readonly string[], asked: Set<string>): string[] {
  return ids.filter((id) => {
    const folded = id.toLowerCase();
    if (asked.has(folded)) {
      return false;
    }
    asked.add(folded);

    return true;
  });
}

async function findByIds(
  ids: string[],
  lookup: ThreadLookup,
): Promise<string | undefined> {
  return ids.length === 0 ? undefined : lookup.findByMessageIds(ids);
}

function thread(referenceNumber: string, via: ThreadVia): ThreadDecision {
  return { kind: 'thread', referenceNumber, via };
}
