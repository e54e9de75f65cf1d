import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../functions/commons/powertools/logger.js';
import { messageKey, sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import { StoreError } from '../../../functions/store/errors.js';
import type { IncidentStore } from '../../../functions/store/ports.js';
import {
  BACKOFF_AFTER_FAILURES,
  BACKOFF_PERIOD_MS,
} from '../../../functions/techmail/mailbox-health.js';
import { connectPop3 } from '../../../functions/techmail/pop3-mail-source.js';
import {
  RUN_SAFETY_MARGIN_MS,
  type RunDependencies,
  type RunResult,
  runMailbox,
} from '../../../functions/techmail/run-mailbox.js';
import { FakePop3Server } from '../../support/fake-pop3-server.js';
import { composeMail } from '../../support/mail.js';
import { ScriptedMailbox } from '../../support/scripted-mail-source.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const PASSWORD = 'pop-password';
const LEASE_TTL_MS = 900_000;
const REFERENCE = /^261204-\d{6}$/;

let stores: TestStores;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

/** A server holding these messages as uid-1, uid-2, … */
function serverWith(...raws: Buffer[]): ScriptedMailbox {
  return new ScriptedMailbox({
    password: PASSWORD,
    messages: raws.map((raw, index) => ({ uid: `uid-${index + 1}`, raw })),
  });
}

function dependencies(
  server: ScriptedMailbox,
  overrides: Partial<RunDependencies> = {},
): RunDependencies {
  return {
    mailboxes: stores.mailboxes,
    leases: stores.leases,
    runs: stores.runs,
    incidents: stores.incidents,
    blobs: stores.blobs,
    secrets: stores.secrets,
    connect: server.connect,
    remainingTimeMs: () => 600_000,
    leaseTtlMs: LEASE_TTL_MS,
    now: () => NOW,
    ...overrides,
  };
}

function runOnce(
  mailbox: Mailbox,
  server: ScriptedMailbox,
  overrides: Partial<RunDependencies> = {},
): Promise<RunResult> {
  return runMailbox(
    { mailboxId: mailbox.id, runId: randomUUID(), trigger: 'schedule' },
    dependencies(server, overrides),
  );
}

/**
 * The incident store with one method failing on its `failOnCall`-th call,
 * the way a throttled or unreachable table fails a write.
 */
/** The store, failing the writes of `method` that carry `messageId`. */
function incidentsFailingOn(
  method: 'putEntry' | 'putIncident',
  messageId: string,
): IncidentStore {
  const faulty = Object.create(stores.incidents) as IncidentStore;
  faulty.putEntry = async (ref, entry) => {
    if (method === 'putEntry' && entry.messageId === messageId) {
      throw new StoreError('incidents.putEntry', 'test', 'table unreachable');
    }
    return stores.incidents.putEntry(ref, entry);
  };
  faulty.putIncident = async (incident) => {
    if (method === 'putIncident' && incident.messageIds.includes(messageId)) {
      throw new StoreError('incidents.putIncident', 'test', 'unreachable');
    }
    return stores.incidents.putIncident(incident);
  };

  return faulty;
}

async function incidentsOf(mailbox: Mailbox) {
  const { items } = await stores.incidents.listIncidents({
    mailboxId: mailbox.id,
    limit: 100,
  });

  return items;
}

async function reload(mailbox: Mailbox): Promise<Mailbox> {
  return (await stores.mailboxes.get(mailbox.id)) as Mailbox;
}

describe('runMailbox', () => {
  describe('new messages', () => {
    it('creates one incident per message with a dated reference, status new, the interface and the sender', async () => {
      const mailbox = await addMailbox(stores, { interfaceId: 'brand-b' });
      const server = serverWith(
        composeMail({ messageId: '<a1@customer.example>' }),
        composeMail({
          messageId: '<a2@customer.example>',
          from: 'Dan <dan@other.example>',
          subject: 'VPN drops every hour',
        }),
      );

      const { run, moreMail } = await runOnce(mailbox, server);

      expect(run.status).toBe('succeeded');
      expect(moreMail).toBe(false);
      const refs = run.messages.map((message) => message.referenceNumber);
      expect(refs).toHaveLength(2);
      expect(new Set(refs).size).toBe(2);
      for (const ref of refs) expect(ref).toMatch(REFERENCE);
      const second = await stores.incidents.getIncident(refs[1] as string);
      expect(second).toMatchObject({
        referenceNumber: refs[1],
        subject: 'VPN drops every hour',
        status: 'new',
        mailboxId: mailbox.id,
        interfaceId: 'brand-b',
        contact: { address: 'dan@other.example', name: 'Dan' },
        createdAt: NOW.toISOString(),
      });
      expect(await incidentsOf(mailbox)).toHaveLength(2);
      expect(server.uids).toEqual([]);
    });

    it('keeps the exact bytes of each message in the blob store', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: '<bytes@customer.example>' });
      const server = serverWith(raw);

      const { run } = await runOnce(mailbox, server);

      const ref = run.messages[0]?.referenceNumber as string;
      const [entry] = await stores.incidents.listEntries(ref);
      expect(entry?.rawKey).toBe(`raw/${mailbox.id}/${sha256Hex(raw)}.eml`);
      expect(await stores.blobs.get(entry?.rawKey as string)).toEqual(raw);
    });

    it('marks each message done in the ledger before deleting it, then commits', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        composeMail({ messageId: '<o1@customer.example>' }),
        composeMail({ messageId: '<o2@customer.example>' }),
      );
      const incidents = Object.create(stores.incidents) as IncidentStore;
      incidents.markLedgerDone = async (mailboxId, key) => {
        await stores.incidents.markLedgerDone(mailboxId, key);
        server.log.push(`ledger-done ${key}`);
      };

      await runOnce(mailbox, server, { incidents });

      ['o1', 'o2'].forEach((id, index) => {
        const key = messageKey(`${id}@customer.example`, Buffer.alloc(0));
        const done = server.log.indexOf(`ledger-done ${key}`);
        expect(done).toBeGreaterThan(
          server.log.indexOf(`retr uid-${index + 1}`),
        );
        expect(done).toBeLessThan(server.log.indexOf(`dele uid-${index + 1}`));
      });
      expect(server.log.at(-1)).toBe('commit');
    });
  });

  describe('threading', () => {
    it('threads a reply by In-Reply-To onto the first incident and marks it updated', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        composeMail({ messageId: '<first@customer.example>' }),
      );
      const first = await runOnce(mailbox, server);
      const ref = first.run.messages[0]?.referenceNumber;
      server.deliver(
        'uid-2',
        composeMail({
          messageId: '<reply@customer.example>',
          inReplyTo: '<first@customer.example>',
          subject: 'Re: Printer on floor 3 is jammed',
        }),
      );

      const { run } = await runOnce(mailbox, server);

      expect(run.messages).toEqual([
        expect.objectContaining({ outcome: 'threaded', referenceNumber: ref }),
      ]);
      expect(await stores.incidents.getIncident(ref as string)).toMatchObject({
        status: 'updated',
      });
      expect(await stores.incidents.listEntries(ref as string)).toHaveLength(2);
      expect(await incidentsOf(mailbox)).toHaveLength(1);
    });

    it('threads a reply that arrives in the same run as the message it answers', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        composeMail({ messageId: '<same-run@customer.example>' }),
        composeMail({
          messageId: '<same-run-reply@customer.example>',
          inReplyTo: '<same-run@customer.example>',
        }),
      );

      const { run } = await runOnce(mailbox, server);

      const [created, threaded] = run.messages;
      expect(created?.outcome).toBe('created');
      expect(threaded).toMatchObject({
        outcome: 'threaded',
        referenceNumber: created?.referenceNumber,
      });
    });

    it('threads a message whose subject carries [Incident: <ref>]', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        composeMail({ messageId: '<subject-1@customer.example>' }),
      );
      const first = await runOnce(mailbox, server);
      const ref = first.run.messages[0]?.referenceNumber as string;
      server.deliver(
        'uid-2',
        composeMail({
          messageId: '<subject-2@elsewhere.example>',
          subject: `Re: [Incident: ${ref}] still jammed`,
        }),
      );

      const { run } = await runOnce(mailbox, server);

      expect(run.messages[0]).toMatchObject({
        outcome: 'threaded',
        referenceNumber: ref,
      });
      expect(await stores.incidents.getIncident(ref)).toMatchObject({
        status: 'updated',
      });
    });
  });

  describe('duplicates', () => {
    it('reports a message delivered twice in one run as duplicate and creates nothing more', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: '<twice@customer.example>' });
      const server = serverWith(raw, raw);

      const { run } = await runOnce(mailbox, server);

      const [first, second] = run.messages;
      expect(first?.outcome).toBe('created');
      expect(second).toMatchObject({
        uidl: 'uid-2',
        outcome: 'duplicate',
        referenceNumber: first?.referenceNumber,
      });
      expect(await incidentsOf(mailbox)).toHaveLength(1);
      const ref = first?.referenceNumber as string;
      expect(await stores.incidents.listEntries(ref)).toHaveLength(1);
      expect(server.uids).toEqual([]);
    });

    it('reports a message seen again in a later run as duplicate', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: '<again@customer.example>' });
      const server = serverWith(raw);
      const first = await runOnce(mailbox, server);
      server.deliver('uid-9', raw);

      const { run } = await runOnce(mailbox, server);

      expect(run.counts).toMatchObject({ seen: 1, duplicate: 1, created: 0 });
      const ref = first.run.messages[0]?.referenceNumber as string;
      expect(await stores.incidents.listEntries(ref)).toHaveLength(1);
      expect(await incidentsOf(mailbox)).toHaveLength(1);
      expect(server.uids).toEqual([]);
    });
  });

  describe('unparseable messages', () => {
    it.each([
      ['empty bytes', Buffer.alloc(0)],
      ['no header section', Buffer.from('only words, no header at all\r\n')],
    ])('quarantines a message with %s and deletes it', async (_case, raw) => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(raw);

      const { run } = await runOnce(mailbox, server);

      expect(run.messages).toEqual([
        { uidl: 'uid-1', outcome: 'quarantined', reason: 'unparseable' },
      ]);
      const key = `quarantine/${mailbox.id}/${sha256Hex(raw)}.eml`;
      expect(await stores.blobs.get(key)).toEqual(raw);
      expect(server.log).toContain('dele uid-1');
      expect(server.uids).toEqual([]);
      expect(await incidentsOf(mailbox)).toEqual([]);
    });
  });

  describe('oversize messages', () => {
    it('turns a message over the mailbox size limit into an incident of its headers, quarantines its bytes and deletes it', async () => {
      const mailbox = await addMailbox(stores, { maxMessageBytes: 1024 });
      const raw = composeMail({ body: 'x'.repeat(2048) });
      const server = serverWith(raw, composeMail({ messageId: '<small@x>' }));

      const { run } = await runOnce(mailbox, server);

      expect(run.messages).toEqual([
        expect.objectContaining({
          uidl: 'uid-1',
          outcome: 'created',
          reason: 'oversize',
          referenceNumber: expect.stringMatching(REFERENCE),
        }),
        expect.objectContaining({ uidl: 'uid-2', outcome: 'created' }),
      ]);
      const key = `quarantine/${mailbox.id}/${sha256Hex(raw)}.eml`;
      expect(await stores.blobs.get(key)).toEqual(raw);
      expect(server.uids).toEqual([]);
      expect(await incidentsOf(mailbox)).toHaveLength(2);
    });
  });

  describe('store failures', () => {
    it('stops at a store failure, commits only durable messages and fails the run', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        composeMail({ messageId: '<s1@customer.example>' }),
        composeMail({ messageId: '<s2@customer.example>' }),
        composeMail({ messageId: '<s3@customer.example>' }),
      );

      const { run } = await runOnce(mailbox, server, {
        incidents: incidentsFailingOn('putEntry', 's2@customer.example'),
      });

      // Whether uid-3 was started before the failure showed depends on
      // timing; either way only durable messages are deleted and reported.
      const deleted = ['uid-1', 'uid-3'].filter(
        (uid) => !server.uids.includes(uid),
      );
      expect(run.status).toBe('failed');
      expect(run.error?.code).toBe('StoreError');
      expect(deleted).toContain('uid-1');
      expect(run.messages.map((message) => message.uidl)).toEqual(deleted);
      expect(run.counts).toMatchObject({
        seen: deleted.length,
        created: deleted.length,
      });
      expect(server.log).not.toContain('dele uid-2');
      expect(server.log.at(-1)).toBe('commit');
      expect(server.uids).toContain('uid-2');
      expect(await reload(mailbox)).toMatchObject({
        status: 'failing',
        consecutiveFailures: 1,
      });
    });

    it('rolls a pending decision forward on the next run with the same reference', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: '<crash@customer.example>' });
      const server = serverWith(raw);
      await runOnce(mailbox, server, {
        incidents: incidentsFailingOn('putIncident', 'crash@customer.example'),
      });
      const key = messageKey('crash@customer.example', raw);
      const pending = await stores.incidents.getLedger(mailbox.id, key);

      const { run } = await runOnce(mailbox, server);

      expect(pending?.state).toBe('pending');
      expect(run.messages).toEqual([
        expect.objectContaining({
          outcome: 'created',
          referenceNumber: pending?.referenceNumber,
        }),
      ]);
      const ref = pending?.referenceNumber as string;
      expect(await stores.incidents.getIncident(ref)).toMatchObject({
        status: 'new',
      });
      expect(await stores.incidents.listEntries(ref)).toHaveLength(1);
      expect(await stores.incidents.getLedger(mailbox.id, key)).toMatchObject({
        state: 'done',
      });
      expect(server.uids).toEqual([]);
    });
  });

  describe('time limit', () => {
    it('stops taking messages under the safety margin and reports more mail', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        composeMail({ messageId: '<t1@customer.example>' }),
        composeMail({ messageId: '<t2@customer.example>' }),
        composeMail({ messageId: '<t3@customer.example>' }),
      );
      const remaining = [RUN_SAFETY_MARGIN_MS + 1, RUN_SAFETY_MARGIN_MS - 1];

      const { run, moreMail } = await runOnce(mailbox, server, {
        remainingTimeMs: () => remaining.shift() ?? 0,
      });

      expect(moreMail).toBe(true);
      expect(run.status).toBe('succeeded');
      expect(run.messages.map((message) => message.uidl)).toEqual([
        'uid-1',
        'uid-2',
      ]);
      expect(server.log).not.toContain('retr uid-3');
      expect(server.log.at(-1)).toBe('commit');
      expect(server.uids).toEqual(['uid-3']);
    });
  });

  describe('login', () => {
    it('reads the password again bypassing the cache after a rejection and logs in with the rotated one', async () => {
      const mailbox = await addMailbox(stores, {}, 'old-password');
      await stores.secrets.getPassword(mailbox.secretName);
      stores.secrets.rotate(mailbox.secretName, 'new-password');
      const server = new ScriptedMailbox({ password: 'new-password' });
      const readsBefore = stores.secrets.reads.length;

      const { run } = await runOnce(mailbox, server);

      expect(run.status).toBe('succeeded');
      expect(server.log.slice(0, 2)).toEqual(['login-rejected', 'login']);
      expect(stores.secrets.reads.slice(readsBefore)).toEqual([
        { secretName: mailbox.secretName, forceFetch: false },
        { secretName: mailbox.secretName, forceFetch: true },
      ]);
    });

    it('tries once only when the re-read password is the same', async () => {
      const mailbox = await addMailbox(stores, {}, 'wrong-password');
      const server = serverWith();

      const { run } = await runOnce(mailbox, server);

      expect(run.status).toBe('failed');
      expect(server.log).toEqual(['login-rejected']);
    });

    it('fails the run with LoginRejected and marks the mailbox login-failed', async () => {
      const mailbox = await addMailbox(stores, {}, 'wrong-password');
      const server = serverWith(composeMail());

      const { run } = await runOnce(mailbox, server);

      expect(run.status).toBe('failed');
      expect(run.error?.code).toBe('LoginRejected');
      const after = await reload(mailbox);
      expect(after).toMatchObject({
        status: 'login-failed',
        consecutiveFailures: 1,
        lastError: run.error?.message,
        lastRun: { runId: run.runId, status: 'failed' },
      });
      expect(after.backoffUntil).toBeUndefined();
      expect(server.uids).toEqual(['uid-1']);
    });

    it(`backs off after ${BACKOFF_AFTER_FAILURES} failed runs in a row`, async () => {
      const mailbox = await addMailbox(stores, {}, 'wrong-password');
      const server = serverWith();
      for (let run = 1; run < BACKOFF_AFTER_FAILURES; run += 1) {
        await runOnce(mailbox, server);
      }
      const beforeLast = await reload(mailbox);

      await runOnce(mailbox, server);

      expect(beforeLast.backoffUntil).toBeUndefined();
      expect(await reload(mailbox)).toMatchObject({
        consecutiveFailures: BACKOFF_AFTER_FAILURES,
        backoffUntil: new Date(NOW.getTime() + BACKOFF_PERIOD_MS).toISOString(),
      });
    });

    it('clears the failures and the backoff after a successful run', async () => {
      const mailbox = await addMailbox(stores, {}, 'wrong-password');
      const server = serverWith();
      for (let run = 0; run < BACKOFF_AFTER_FAILURES; run += 1) {
        await runOnce(mailbox, server);
      }
      await stores.secrets.putPassword(mailbox.secretName, PASSWORD);

      const { run } = await runOnce(mailbox, server);

      expect(run.status).toBe('succeeded');
      const after = await reload(mailbox);
      expect(after).toMatchObject({ status: 'ok', consecutiveFailures: 0 });
      expect(after.backoffUntil).toBeUndefined();
      expect(after.lastError).toBeUndefined();
    });
  });

  describe('lease', () => {
    it('skips the run when another run holds the mailbox', async () => {
      const mailbox = await addMailbox(stores);
      await stores.leases.acquire(mailbox.id, 'other-run', LEASE_TTL_MS, NOW);
      const server = serverWith(composeMail());

      const { run } = await runOnce(mailbox, server);

      expect(run.status).toBe('skipped');
      expect(server.log).toEqual([]);
      expect(await stores.leases.holder(mailbox.id, NOW)).toBe('other-run');
    });

    it("applies the contact policy of the incident's mailbox to replies through another mailbox", async () => {
      const strict = await addMailbox(stores, { updatePolicy: 'contact' });
      const open = await addMailbox(stores);
      const rootId = `<${randomUUID()}@customer.example>`;
      const { run: first } = await runOnce(
        strict,
        serverWith(composeMail({ messageId: rootId })),
      );

      const { run } = await runOnce(
        open,
        serverWith(
          composeMail({
            from: 'Mallory <mallory@elsewhere.example>',
            messageId: `<${randomUUID()}@elsewhere.example>`,
            inReplyTo: rootId,
          }),
        ),
      );

      expect(run.messages[0]).toMatchObject({
        outcome: 'created',
        reason: 'update-refused',
      });
      expect(run.messages[0]?.referenceNumber).not.toBe(
        first.messages[0]?.referenceNumber,
      );
    });

    it('keeps the run result when the mailbox is deleted during its run', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(composeMail());

      const { run } = await runOnce(mailbox, server, {
        connect: async (box, password) => {
          await stores.mailboxes.delete(box.id);
          return server.connect(box, password);
        },
      });

      expect(run.status).toBe('succeeded');
      expect(run.counts.created).toBe(1);
      expect(await stores.mailboxes.get(mailbox.id)).toBeUndefined();
    });

    it('does not run the mailbox again when a finished run is delivered twice', async () => {
      const mailbox = await addMailbox(stores);
      const request = {
        mailboxId: mailbox.id,
        runId: randomUUID(),
        trigger: 'schedule' as const,
      };
      const first = serverWith(composeMail());
      await runMailbox(request, dependencies(first));
      const second = serverWith(composeMail());

      const { run } = await runMailbox(request, dependencies(second));

      expect(run.status).toBe('succeeded');
      expect(run.counts.created).toBe(1);
      expect(second.log).toEqual([]);
    });

    it('gives the lease back when the run ends', async () => {
      const mailbox = await addMailbox(stores);

      await runOnce(mailbox, serverWith(composeMail()));

      expect(await stores.leases.holder(mailbox.id, NOW)).toBeUndefined();
    });
  });

  describe('leave on server', () => {
    it('never deletes and does not take the same messages again', async () => {
      const mailbox = await addMailbox(stores, { leaveOnServer: true });
      const server = serverWith(
        composeMail({ messageId: '<keep-1@customer.example>' }),
        composeMail({ messageId: '<keep-2@customer.example>' }),
      );
      const first = await runOnce(mailbox, server);
      server.deliver('uid-3', composeMail({ messageId: '<keep-3@x.example>' }));
      server.log.length = 0;

      const { run } = await runOnce(mailbox, server);

      expect(first.run.counts).toMatchObject({ seen: 2, created: 2 });
      expect(run.messages).toEqual([
        expect.objectContaining({ uidl: 'uid-3', outcome: 'created' }),
      ]);
      expect(server.log).toEqual(['login', 'list', 'retr uid-3', 'commit']);
      expect(server.uids).toEqual(['uid-1', 'uid-2', 'uid-3']);
      expect(await incidentsOf(mailbox)).toHaveLength(3);
    });
  });

  describe('over the POP3 adapter', () => {
    let fake: FakePop3Server;

    afterEach(async () => {
      await fake.close();
    });

    async function popMailbox(username: string, password: string) {
      return addMailbox(
        stores,
        {
          popServer: '127.0.0.1',
          popPort: fake.port,
          security: 'none',
          popAccount: username,
        },
        password,
      );
    }

    it('turns the messages into incidents and deletes them with QUIT', async () => {
      fake = await FakePop3Server.start({
        username: 'pop-user-1',
        password: PASSWORD,
        messages: [
          composeMail({ messageId: '<wire-1@customer.example>' }),
          composeMail({ messageId: '<wire-2@customer.example>' }),
        ],
      });
      const mailbox = await popMailbox('pop-user-1', PASSWORD);

      const { run } = await runOnce(mailbox, serverWith(), {
        connect: connectPop3,
      });

      expect(run.status).toBe('succeeded');
      expect(run.counts).toMatchObject({ seen: 2, created: 2 });
      expect(fake.quitCommits).toBe(1);
      expect(fake.storedMessages).toEqual([]);
      expect(await incidentsOf(mailbox)).toHaveLength(2);
    });

    it('logs in with a rotated password after the server rejects the cached one', async () => {
      fake = await FakePop3Server.start({
        username: 'pop-user-2',
        password: 'rotated-password',
        messages: [composeMail({ messageId: '<wire-3@customer.example>' })],
      });
      const mailbox = await popMailbox('pop-user-2', 'old-password');
      await stores.secrets.getPassword(mailbox.secretName);
      stores.secrets.rotate(mailbox.secretName, 'rotated-password');

      const { run } = await runOnce(mailbox, serverWith(), {
        connect: connectPop3,
      });

      expect(run.status).toBe('succeeded');
      expect(run.counts.created).toBe(1);
      expect(fake.connections).toHaveLength(2);
    });
  });

  describe('run record', () => {
    it('records the counts and each message with its uidl, id, outcome, reason and reference', async () => {
      const mailbox = await addMailbox(stores);
      const original = composeMail({ messageId: '<rec-1@customer.example>' });
      const server = serverWith(
        original,
        composeMail({
          messageId: '<rec-2@customer.example>',
          inReplyTo: '<rec-1@customer.example>',
        }),
        original,
        Buffer.alloc(0),
      );

      const { run } = await runOnce(mailbox, server);

      const ref = run.messages[0]?.referenceNumber;
      const stored = await stores.runs.get(run.runId);
      expect(stored).toMatchObject({
        mailboxId: mailbox.id,
        trigger: 'schedule',
        status: 'succeeded',
        startedAt: NOW.toISOString(),
        finishedAt: NOW.toISOString(),
        counts: {
          seen: 4,
          created: 1,
          threaded: 1,
          suppressed: 0,
          quarantined: 1,
          duplicate: 1,
        },
      });
      expect(stored?.messages).toEqual([
        {
          uidl: 'uid-1',
          messageId: 'rec-1@customer.example',
          outcome: 'created',
          referenceNumber: ref,
        },
        {
          uidl: 'uid-2',
          messageId: 'rec-2@customer.example',
          outcome: 'threaded',
          referenceNumber: ref,
        },
        {
          uidl: 'uid-3',
          messageId: 'rec-1@customer.example',
          outcome: 'duplicate',
          referenceNumber: ref,
        },
        { uidl: 'uid-4', outcome: 'quarantined', reason: 'unparseable' },
      ]);
      expect((await reload(mailbox)).lastRun).toEqual({
        runId: run.runId,
        status: 'succeeded',
        startedAt: NOW.toISOString(),
        finishedAt: NOW.toISOString(),
        counts: stored?.counts,
      });
    });

    it('fails the run when the mailbox no longer exists', async () => {
      const server = serverWith(composeMail());

      const { run } = await runMailbox(
        { mailboxId: 'gone', runId: randomUUID(), trigger: 'on-demand' },
        dependencies(server),
      );

      expect(run).toMatchObject({
        status: 'failed',
        error: { code: 'MailboxNotFound' },
      });
      expect(server.log).toEqual([]);
    });
  });
});
