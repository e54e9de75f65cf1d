import { contentKey, messageKey } from '../../../functions/mail/message-key.js';
import type { Incident, ThreadEntry } from '../../../functions/model.js';
import type { Stores } from '../../../functions/store/index.js';
import type { DovecotServer } from '../dovecot.js';
import type { ChaosMessage } from './chaos-mail.js';

/** Run states that should not outlive the case. */
const UNFINISHED_RUN_STATES = new Set(['queued', 'running']);

/** Incidents or quarantine records read per page. */
const PAGE = 100;

/**
 * What the oracle found wrong with one case; every list empty means every
 * delivered message is accounted for exactly once.
 */
export interface CaseVerdict {
  /** Markers of messages neither stored nor left on the server. */
  readonly lost: string[];
  /** Markers of messages stored more than once. */
  readonly duplicated: string[];
  /** Messages left on the server, unfinished runs, leases still held. */
  readonly stuck: string[];
  /** Stored things no delivered message explains (empty incidents). */
  readonly phantom: string[];
}

/** Where a case's messages went: the mailbox and its POP3 account. */
export interface JudgedMailbox {
  readonly mailboxId: string;
  readonly user: string;
}

/**
 * The exactly-once oracle. A delivered message (named by its marker, a
 * unique text in its body) is accounted for when, after the runs:
 * - exactly one thread entry of the mailbox's incidents carries its
 *   marker, and it is not also in quarantine; or
 * - no entry carries it, and its ledger record says `suppressed` (done),
 *   or it is listed in the mailbox's quarantine with its exact bytes'
 *   hash (not released). An `oversize` message is the one exception: its
 *   whole bytes stay in quarantine next to the incident of its headers.
 * Zero is `lost`, more than one is `duplicated`. A message still on the
 * server is `stuck` (the runs did not empty the mailbox), and so is a run
 * of the mailbox left `queued` or `running`, or a lease still held. An
 * incident without entries is `phantom`.
 *
 * @param stores the production stores
 * @param dovecot the POP3 server
 * @param target the mailbox and its account
 * @param messages what was delivered
 * @returns the verdict
 */
export async function judgeCase(
  stores: Stores,
  dovecot: DovecotServer,
  target: JudgedMailbox,
  messages: readonly ChaosMessage[],
): Promise<CaseVerdict> {
  const verdict: CaseVerdict = {
    lost: [],
    duplicated: [],
    stuck: [],
    phantom: [],
  };
  const entries = await readEntries(stores, target.mailboxId, verdict);
  const quarantine = await readQuarantine(stores, target.mailboxId);
  const onServer = new Set(
    (await dovecot.listMessages(target.user)).map((m) =>
      m.bytes.toString('latin1'),
    ),
  );
  for (const message of messages) {
    const stored = entries.filter((e) => e.text.includes(message.marker));
    const reason = quarantine.get(message.sha256);
    // An oversize message keeps its whole bytes in quarantine next to the
    // incident of its headers: one message, stored once.
    const inQuarantine =
      reason !== undefined && !(reason === 'oversize' && stored.length > 0);
    const suppressed =
      stored.length === 0 && (await isSuppressed(stores, target, message));
    const count = stored.length + (inQuarantine ? 1 : 0) + (suppressed ? 1 : 0);
    const left = onServer.delete(message.raw.toString('latin1'));
    if (count > 1) verdict.duplicated.push(message.marker);
    if (left) verdict.stuck.push(`${message.marker} is still on the server`);
    else if (count === 0) verdict.lost.push(message.marker);
  }
  if (onServer.size > 0) {
    verdict.phantom.push(`${onServer.size} unknown messages on the server`);
  }
  await findUnfinished(stores, target.mailboxId, verdict);

  return verdict;
}

async function readEntries(
  stores: Stores,
  mailboxId: string,
  verdict: CaseVerdict,
): Promise<ThreadEntry[]> {
  const incidents: Incident[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stores.incidents.listIncidents({
      mailboxId,
      limit: PAGE,
      nextToken,
    });
    incidents.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  const entries: ThreadEntry[] = [];
  for (const incident of incidents) {
    const thread = await stores.incidents.listEntries(incident.referenceNumber);
    if (thread.length === 0) {
      verdict.phantom.push(`incident ${incident.referenceNumber} has no entry`);
    }
    entries.push(...thread.filter((entry) => entry.mailboxId === mailboxId));
  }

  return entries;
}

/** The hashes of the messages in quarantine, each with its reason. */
async function readQuarantine(
  stores: Stores,
  mailboxId: string,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await stores.incidents.listQuarantined(mailboxId, {
      limit: PAGE,
      nextToken,
    });
    for (const item of page.items) hashes.set(item.sha256, item.reason);
    nextToken = page.nextToken;
  } while (nextToken);

  return hashes;
}

async function isSuppressed(
  stores: Stores,
  target: JudgedMailbox,
  message: ChaosMessage,
): Promise<boolean> {
  const keys = [contentKey(message.raw)];
  if (message.messageId) keys.push(messageKey(message.messageId, message.raw));
  for (const key of keys) {
    const record = await stores.incidents.getLedger(target.mailboxId, key);
    if (record?.outcome === 'suppressed' && record.state === 'done') {
      return true;
    }
  }

  return false;
}

async function findUnfinished(
  stores: Stores,
  mailboxId: string,
  verdict: CaseVerdict,
): Promise<void> {
  const runs = await stores.runs.listByMailbox(mailboxId, PAGE);
  for (const run of runs) {
    if (UNFINISHED_RUN_STATES.has(run.status)) {
      verdict.stuck.push(`run ${run.runId} is still ${run.status}`);
    }
  }
  const holder = await stores.leases.holder(mailboxId, new Date());
  if (holder !== undefined) {
    verdict.stuck.push(`run ${holder} still holds the lease`);
  }
}
