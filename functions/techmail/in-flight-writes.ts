/**
 * The writes of a run's messages that are still under way, so that
 * messages can be written concurrently while every decision still sees
 * what earlier messages of the run wrote. A decision that reads an item an
 * earlier message is writing (its ledger record, the incident it threads
 * onto, the Message-ID it replies to) first waits for those writes.
 */
import type { IncidentStore, LedgerRecord } from '../store/ports.js';
import type { RouteStore } from './route-message.js';
import { RunSenderCounts } from './run-sender-counts.js';

/** What a decision reads and records in the incident store. */
export type DecisionStore = RouteStore &
  Pick<IncidentStore, 'getLedger' | 'putLedgerIfAbsent' | 'addSenderMessage'>;

/** Names of the items a message's writes touch. */
export interface WriteScope {
  /** Ledger key of the message. */
  readonly messageKey: string;
  /** Incident the writes create or add to. */
  readonly referenceNumber?: string;
  /** Message-ID the writes index. */
  readonly messageId?: string;
}

/**
 * Writes in progress, by the ledger keys, incidents and ids they touch,
 * and the run's flood counts (see {@link RunSenderCounts}).
 */
export class InFlightWrites {
  private readonly byTag = new Map<string, Set<Promise<unknown>>>();
  private readonly senders = new RunSenderCounts();

  /**
   * Runs `write` once the writes already in progress on the same scope
   * have finished, so two messages never race on one incident or
   * Message-ID (the first to claim an id keeps it, as without overlap).
   *
   * @param scope the items the write touches
   * @param write the writes of one message
   * @returns the write's result
   * @throws the error of an earlier write in the scope, without writing
   */
  run<T>(scope: WriteScope, write: () => Promise<T>): Promise<T> {
    const tags = scopeTags(scope);
    const result = this.settle(tags).then(write);
    for (const tag of tags) {
      const pending = this.byTag.get(tag) ?? new Set();
      pending.add(result);
      this.byTag.set(tag, pending);
    }
    // A finished write is forgotten, so the map stays as small as the
    // window of messages in flight. A failed one stays: whatever reads its
    // items later in the run would see them incomplete, and fails instead.
    result.then(
      () => this.forget(tags, result),
      () => undefined,
    );

    return result;
  }

  /**
   * A view of the store whose reads first wait for the writes in progress
   * on what they read, and whose flood counts are the run's.
   *
   * @param store the incident store
   * @returns the store as decisions should read it
   */
  view(store: DecisionStore): DecisionStore {
    return {
      getLedger: async (mailboxId, key) => {
        await this.settle([keyTag(key)]);
        return store.getLedger(mailboxId, key);
      },
      putLedgerIfAbsent: async (record: LedgerRecord) => {
        await this.settle([keyTag(record.messageKey)]);
        return store.putLedgerIfAbsent(record);
      },
      findByMessageIds: async (ids) => {
        await this.settle(ids.map(idTag));
        return store.findByMessageIds(ids);
      },
      getIncident: async (ref) => {
        await this.settle([refTag(ref)]);
        return store.getIncident(ref);
      },
      listEntries: async (ref) => {
        await this.settle([refTag(ref)]);
        return store.listEntries(ref);
      },
      addSenderMessage: (mailboxId, sender, now) =>
        this.senders.add(store, mailboxId, sender, now),
      countSenderMessages: (mailboxId, sender, hours, now) =>
        this.senders.count(store, mailboxId, sender, hours, now),
      nextReferenceNumber: (now) => store.nextReferenceNumber(now),
    };
  }

  /** Waits for the writes in progress under any of the tags. */
  private async settle(tags: readonly string[]): Promise<void> {
    const pending = new Set<Promise<unknown>>();
    for (const tag of tags) {
      for (const write of this.byTag.get(tag) ?? []) pending.add(write);
    }
    if (pending.size > 0) await Promise.all(pending);
  }

  private forget(tags: readonly string[], write: Promise<unknown>): void {
    for (const tag of tags) {
      const pending = this.byTag.get(tag);
      pending?.delete(write);
      if (pending?.size === 0) this.byTag.delete(tag);
    }
  }
}

function scopeTags(scope: WriteScope): string[] {
  return [
    keyTag(scope.messageKey),
    ...(scope.referenceNumber === undefined
      ? []
      : [refTag(scope.referenceNumber)]),
    ...(scope.messageId === undefined ? [] : [idTag(scope.messageId)]),
  ];
}

function keyTag(messageKey: string): string {
  return `key:${messageKey}`;
}

function refTag(referenceNumber: string): string {
  return `ref:${referenceNumber}`;
}

/** Message-IDs match case-insensitively, as in the store's index. */
function idTag(messageId: string): string {
  return `id:${messageId.toLowerCase()}`;
}
