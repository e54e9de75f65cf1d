import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../functions/mail/message-key.js';
import type { Run, RunMessage } from '../../functions/model.js';
import type { QuarantineRecord } from '../../functions/store/quarantine-port.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import {
  type HostileMessage,
  hostileMessages,
} from '../support/hostile-mail.js';
import {
  callApi,
  type RuntimeProcess,
  startRuntimeProcess,
  waitForRun,
} from '../support/runtime-process.js';

const PASSWORD = 'hostile-Pa55word';

/**
 * Generous bound on the peak RSS of the runtime process (which also holds
 * the local DynamoDB and S3): about 330 MB were measured for this set of
 * 62 MB, a 50 MB message among them. A run that buffered the mailbox
 * several times over, or blew up on the million parts, would pass it.
 */
const MAX_PEAK_RSS_BYTES = 1_024 * 1024 * 1024;

/** A run that takes longer is treated as hung. */
const RUN_TIMEOUT_MS = 240_000;

/** Peak resident set size of a process, from /proc (Linux). */
function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];

  return Number(kilobytes) * 1024;
}

/** Dovecot's UIDL here is `%08Xu%08Xv`: the IMAP UID comes first. */
function deliveryIndex(uidl: string): number {
  return Number.parseInt(uidl.slice(0, 8), 16) - 1;
}

describe('hostile mail through Dovecot into a run of the local runtime', () => {
  const messages: HostileMessage[] = hostileMessages();
  let dovecot: DovecotServer;
  let runtime: RuntimeProcess;
  let dataDir: string;
  let mailboxId: string;
  let run: Run;
  let peakRss: number;

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [{ user: 'hostile', password: PASSWORD }],
    });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-hostile-'));
    runtime = await startRuntimeProcess({
      TECHMAIL_DATA_DIR: dataDir,
      NODE_EXTRA_CA_CERTS: dovecot.caPath,
    });
    const created = await callApi<{ id: string }>(
      runtime.apiUrl,
      'POST',
      '/mailboxes',
      {
        name: 'Hostile',
        popServer: dovecot.host,
        popPort: dovecot.pop3sPort,
        popAccount: 'hostile',
        password: PASSWORD,
      },
    );
    mailboxId = created.body.id;
    await dovecot.deliver(
      'hostile',
      messages.map((message) => message.raw),
    );

    const queued = await callApi<{ runId: string }>(
      runtime.apiUrl,
      'POST',
      `/mailboxes/${mailboxId}/runs`,
    );
    run = await waitForRun<Run>(
      runtime.apiUrl,
      queued.body.runId,
      RUN_TIMEOUT_MS,
    );
    peakRss = peakRssBytes(runtime.pid);
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await runtime?.stop();
    await dovecot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function entryOf(name: string): RunMessage {
    const index = messages.findIndex((message) => message.name === name);
    const entry = run.messages.find((m) => deliveryIndex(m.uidl) === index);
    if (!entry) throw new Error(`no run entry for ${name}`);

    return entry;
  }

  it('finishes the run without crashing or hanging, and empties the mailbox', async () => {
    expect(run.status).toBe('succeeded');
    expect(run.counts.seen).toBe(messages.length);
    expect(await dovecot.countMessages('hostile')).toBe(0);
  });

  it('stays within a bounded peak memory', () => {
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(MAX_PEAK_RSS_BYTES);
  });

  it.each(hostileMessages().map((message) => [message.attack, message.name]))(
    'accounts for the message with %s with an outcome and, when quarantined, a reason',
    (_attack, name) => {
      const entry = entryOf(name);

      expect(['created', 'threaded', 'suppressed', 'quarantined']).toContain(
        entry.outcome,
      );
      if (entry.outcome === 'quarantined') {
        expect(['unparseable', 'oversize']).toContain(entry.reason);
      } else {
        expect(entry.referenceNumber ?? entry.reason).toBeDefined();
      }
    },
  );

  it('takes the 50 MB message in as oversize and quarantines the headless one as unparseable', () => {
    // Over the mailbox limit (25 MB by default): its bytes go to quarantine
    // whole; its headers may also open an incident.
    expect(entryOf('50mb').reason).toBe('oversize');
    expect(entryOf('no-headers')).toMatchObject({
      outcome: 'quarantined',
      reason: 'unparseable',
    });
  });

  it('lists every quarantined message over the API with its reason and exact size', async () => {
    const listed = await callApi<{ items: QuarantineRecord[] }>(
      runtime.apiUrl,
      'GET',
      `/quarantine?mailboxId=${mailboxId}&limit=100`,
    );

    const quarantined = messages.filter((message) => {
      const entry = entryOf(message.name);
      return entry.outcome === 'quarantined' || entry.reason === 'oversize';
    });
    expect(listed.status).toBe(200);
    expect(
      listed.body.items.map(({ sha256, reason, sizeBytes }) => ({
        sha256,
        reason,
        sizeBytes,
      })),
    ).toEqual(
      expect.arrayContaining(
        quarantined.map((message) => ({
          sha256: sha256Hex(message.raw),
          reason: entryOf(message.name).reason,
          sizeBytes: message.raw.length,
        })),
      ),
    );
    expect(listed.body.items).toHaveLength(quarantined.length);
  });

  it('reports over the API that a quarantined message still fails when reprocessed', async () => {
    const headless = messages.find((message) => message.name === 'no-headers');
    const sha256 = sha256Hex(headless?.raw ?? Buffer.alloc(0));

    const reply = await callApi(
      runtime.apiUrl,
      'POST',
      `/quarantine/${mailboxId}/${sha256}/reprocess`,
    );

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      status: 'still-quarantined',
      reason: 'unparseable',
    });
  });
});
