/**
 * Recognises the help desk's own mail coming back: sent from one of its
 * mailbox addresses, or carrying the marks its outgoing mail carries.
 * Taking such mail in would answer ourselves, the start of a mail loop.
 */
import type { ParsedMessage } from '../mail/parse-message.js';
import { fieldValues } from './header-fields.js';

/** Header the help desk's outgoing mail carries, naming its domain. */
export const LOOP_HEADER = 'x-techmail-loop';

/** Why a message is our own. */
export type LoopSignal = 'own-address' | 'own-message-id' | 'loop-header';

/** What the help desk knows about its own mail. */
export interface OwnMail {
  /** Every mailbox's own addresses, lower case. */
  readonly addresses: ReadonlySet<string>;
  /** Domain of our outgoing Message-IDs, lower case; none: check off. */
  readonly messageIdDomain?: string;
}

/**
 * Finds what marks a message as our own.
 *
 * A reply *to* our mail (its In-Reply-To names our Message-ID) is how
 * every customer answer looks, so only the message's own id counts.
 *
 * @param parsed the message
 * @param own our addresses and Message-ID domain
 * @returns the first mark found, or undefined for someone else's mail
 */
export function findLoopSignal(
  parsed: ParsedMessage,
  own: OwnMail,
): LoopSignal | undefined {
  const from = parsed.from?.address.toLowerCase();
  if (from !== undefined && own.addresses.has(from)) return 'own-address';

  const domain = own.messageIdDomain;
  if (domain !== undefined) {
    const idDomain = parsed.messageId?.split('@').pop()?.toLowerCase();
    if (parsed.messageId?.includes('@') && idDomain === domain) {
      return 'own-message-id';
    }
    if (
      fieldValues(parsed.headers, LOOP_HEADER).some((v) => names(v, domain))
    ) {
      return 'loop-header';
    }
  }
  const loops = fieldValues(parsed.headers, 'x-loop');
  if (loops.some((value) => [...own.addresses].some((a) => names(value, a)))) {
    return 'loop-header';
  }

  return undefined;
}

/**
 * Whether a header value names `word` (lower case) as a whole: not as part
 * of a longer address or domain.
 */
function names(value: string, word: string): boolean {
  const folded = value.toLowerCase();
  for (
    let at = folded.indexOf(word);
    at >= 0;
    at = folded.indexOf(word, at + 1)
  ) {
    const before = folded[at - 1] ?? ' ';
    const after = folded[at + word.length] ?? ' ';
    if (!/[\w.-]/.test(before) && !/[\w.-]/.test(after)) return true;
  }

  return false;
}
