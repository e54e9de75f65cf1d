import type { IncidentStore } from '../store/ports.js';

/** Length of a counter bucket; the store's window ends with `now`'s hour. */
const HOUR_MS = 3_600_000;

type SenderCountStore = Pick<
  IncidentStore,
  'countSenderMessages' | 'addSenderMessage'
>;

/**
 * A run's flood counts: each sender's window is read from the store once
 * per hour of the clock, then kept current by the run's own additions.
 * A run holds its mailbox's lease, so no other run counts the mailbox's
 * senders meanwhile, and its decisions are made one at a time. Only an
 * admin reprocessing quarantine can add meanwhile; flood control then
 * lets a message or two more through, never one fewer.
 */
export class RunSenderCounts {
  private readonly counts = new Map<string, number>();

  /**
   * Messages counted for the sender in the window ending with `now`'s hour.
   *
   * @param store where the counters live
   * @param mailboxId the mailbox
   * @param sender the sender's address, lower case
   * @param windowHours hours in the window
   * @param now the current time
   * @returns the count, as the store would answer it
   */
  async count(
    store: SenderCountStore,
    mailboxId: string,
    sender: string,
    windowHours: number,
    now: Date,
  ): Promise<number> {
    const key = `${windowKey(mailboxId, sender, now)}\n${windowHours}`;
    const known = this.counts.get(key);
    if (known !== undefined) return known;

    const counted = await store.countSenderMessages(
      mailboxId,
      sender,
      windowHours,
      now,
    );
    this.counts.set(key, counted);

    return counted;
  }

  /**
   * Counts one more message from the sender, in the store and here.
   *
   * @param store where the counters live
   * @param mailboxId the mailbox
   * @param sender the sender's address, lower case
   * @param now the current time
   */
  async add(
    store: SenderCountStore,
    mailboxId: string,
    sender: string,
    now: Date,
  ): Promise<void> {
    await store.addSenderMessage(mailboxId, sender, now);
    const prefix = `${windowKey(mailboxId, sender, now)}\n`;
    for (const [key, count] of this.counts) {
      if (key.startsWith(prefix)) this.counts.set(key, count + 1);
    }
  }
}

/** Counts from an earlier hour are read again: the window has moved. */
function windowKey(mailboxId: string, sender: string, now: Date): string {
  const hour = Math.floor(now.getTime() / HOUR_MS);

  return `${mailboxId}\n${sender}\n${hour}`;
}
