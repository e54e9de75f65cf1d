/**
 * Evidence that a message was sent by a machine, and the detection levels
 * that act on each piece of it.
 */
import type { AutoReplyDetection } from '../model.js';

/** What a signal points to; `automatic` says only "not a person". */
export type SignalFamily = 'auto-reply' | 'bounce' | 'automatic';

/** One piece of evidence found in a message. */
export interface Signal {
  /** Short stable name, e.g. `auto-submitted`; recorded with the outcome. */
  readonly name: string;
  readonly family: SignalFamily;
  /**
   * The weakest level that acts on it; `off` means every level does (the
   * structural signals that no person's mail carries).
   */
  readonly level: AutoReplyDetection;
  /** True when the subject is the only evidence. */
  readonly subjectOnly: boolean;
}

const LEVEL_RANK: Readonly<Record<AutoReplyDetection, number>> = {
  off: 0,
  conservative: 1,
  moderate: 2,
  aggressive: 3,
};

/**
 * Tells whether a mailbox at `level` acts on a signal.
 *
 * @param signal the evidence
 * @param level the mailbox's `autoReplyDetection`
 * @returns true when the level is at least the signal's level
 */
export function actsAt(signal: Signal, level: AutoReplyDetection): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[signal.level];
}

/**
 * Builds a header signal.
 *
 * @param name the signal's name
 * @param family what it points to
 * @param level the weakest level that acts on it
 * @returns the signal
 */
export function headerSignal(
  name: string,
  family: SignalFamily,
  level: AutoReplyDetection,
): Signal {
  return { name, family, level, subjectOnly: false };
}
