import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, Run, ThreadEntry } from '../../functions/model.js';
import { type CorpusMessage, loadCorpus } from '../support/corpus.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import {
  callApi,
  type RuntimeProcess,
  startRuntimeProcess,
  waitForRun,
} from '../support/runtime-process.js';

const PASSWORD = 'e2e-Pa55word-not-for-logs';
const CORPUS = loadCorpus();

/** Share of corpus expectations the product must match (issue figure). */
const MIN_FIELD_MATCH_SHARE = 0.95;

type IncidentWithEntries = Incident & { entries: ThreadEntry[] };

/** Dovecot's UIDL format here is `%08Xu%08Xv`: the IMAP UID comes first. */
function deliveryIndex(uidl: string): number {
  return Number.parseInt(uidl.slice(0, 8), 16) - 1;
}

describe('a mailbox run through the local runtime and a real POP3 server', () => {
  let dovecot: DovecotServer;
  let runtime: RuntimeProcess;
  let dataDir: string;
  let mailboxId: string;

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [
        { user: 'support', password: PASSWORD },
        { user: 'replies', password: PASSWORD },
      ],
    });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-e2e-'));
    runtime = await startRuntimeProcess({
      TECHMAIL_DATA_DIR: dataDir,
      NODE_EXTRA_CA_CERTS: dovecot.caPath,
    });
    const created = await callApi<{ id: string }>(
      runtime.apiUrl,
      'POST',
      '/mailboxes',
      {
        name: 'Corpus',
        popServer: dovecot.host,
        popPort: dovecot.pop3sPort,
        popAccount: 'support',
        password: PASSWORD,
      },
    );
    expect(created.status).toBe(201);
    mailboxId = created.body.id;
  });

  afterAll(async () => {
    await runtime?.stop();
    await dovecot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function runMailbox(id: string): Promise<Run> {
    const queued = await callApi<{ runId: string; status: string }>(
      runtime.apiUrl,
      'POST',
      `/mailboxes/${id}/runs`,
    );
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('queued');

    return waitForRun<Run>(runtime.apiUrl, queued.body.runId, 300_000);
  }

  async function getIncident(ref: string): Promise<IncidentWithEntries> {
    const reply = await callApi<IncidentWithEntries>(
      runtime.apiUrl,
      'GET',
      `/incidents/${ref}`,
    );
    expect(reply.status).toBe(200);

    return reply.body;
  }

  describe('with every corpus message served over implicit TLS', () => {
    let firstRun: Run;

    beforeAll(async () => {
      await dovecot.deliver(
        'support',
        CORPUS.map((message) => message.bytes()),
      );
      firstRun = await runMailbox(mailboxId);
    }, 600_000);

    it('accounts for every message with exactly one outcome', () => {
      expect(firstRun.status).toBe('succeeded');
      expect(firstRun.messages).toHaveLength(CORPUS.length);
      expect(new Set(firstRun.messages.map((m) => m.uidl)).size).toBe(
        CORPUS.length,
      );
      const { seen, ...outcomes } = firstRun.counts;
      expect(seen).toBe(CORPUS.length);
      expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(seen);
    });

    it("opens incidents for people's mail and keeps machine mail out", () => {
      const outcomeOf = (id: string) =>
        firstRun.messages.find(
          (message) => CORPUS[deliveryIndex(message.uidl)]?.id === id,
        )?.outcome;

      expect(firstRun.counts.created).toBeGreaterThan(100);
      expect(firstRun.counts.suppressed).toBeGreaterThan(80);
      expect(outcomeOf('sisimai-set-of-emails/is-not-bounce-01.eml')).toBe(
        'created',
      );
      expect(outcomeOf('sisimai-set-of-emails/rfc3834-01.eml')).toBe(
        'suppressed',
      );
      expect(outcomeOf('mail-deliverystatus-bounceparser/quota-4.msg')).toBe(
        'suppressed',
      );
    });

    it('empties the mailbox on the server', async () => {
      expect(await dovecot.countMessages('support')).toBe(0);
    });

    it('matches the corpus subject and sender for at least 95 % of the expectations', async () => {
      const checks = await compareWithExpectations(firstRun, getIncident);

      expect(checks.total).toBeGreaterThan(100);
      expect(checks.matched / checks.total).toBeGreaterThanOrEqual(
        MIN_FIELD_MATCH_SHARE,
      );
    });

    it('lists the new incidents newest first', async () => {
      const listed = await callApi<{ items: Incident[]; nextToken?: string }>(
        runtime.apiUrl,
        'GET',
        `/incidents?mailboxId=${mailboxId}&limit=100`,
      );

      expect(listed.status).toBe(200);
      expect(listed.body.items).toHaveLength(100);
      expect(listed.body.nextToken).toBeDefined();
      const times = listed.body.items.map((item) => item.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('creates nothing when the same mail is delivered and fetched again', async () => {
      await dovecot.deliver(
        'support',
        CORPUS.map((message) => message.bytes()),
      );

      const again = await runMailbox(mailboxId);

      expect(again.status).toBe('succeeded');
      expect(again.counts.created).toBe(0);
      expect(again.counts.threaded).toBe(0);
      expect(again.counts.duplicate).toBe(CORPUS.length);
      expect(await dovecot.countMessages('support')).toBe(0);
    }, 600_000);

    it('finds nothing to do on a run of the empty mailbox', async () => {
      const empty = await runMailbox(mailboxId);

      expect(empty.status).toBe('succeeded');
      expect(empty.counts.seen).toBe(0);
    });
  });

  describe('with a customer replying to an incident', () => {
    it('threads replies by subject reference and by In-Reply-To onto the first incident', async () => {
      const created = await callApi<{ id: string }>(
        runtime.apiUrl,
        'POST',
        '/mailboxes',
        {
          name: 'Replies',
          popServer: dovecot.host,
          popPort: dovecot.pop3sPort,
          popAccount: 'replies',
          password: PASSWORD,
          interfaceId: 'brand-b',
        },
      );
      await dovecot.deliver('replies', [
        message('<first@customer.example>', 'VPN drops every hour', ''),
      ]);
      const first = await runMailbox(created.body.id);
      const ref = first.messages[0]?.referenceNumber ?? '';
      expect(first.messages[0]?.outcome).toBe('created');

      await dovecot.deliver('replies', [
        message(
          '<second@customer.example>',
          `Re: [Incident: ${ref}] VPN drops every hour`,
          '',
        ),
        message(
          '<third@customer.example>',
          'Still broken',
          'In-Reply-To: <first@customer.example>\r\n',
        ),
      ]);
      const second = await runMailbox(created.body.id);

      expect(second.messages.map((m) => m.outcome)).toEqual([
        'threaded',
        'threaded',
      ]);
      expect(second.messages.map((m) => m.referenceNumber)).toEqual([ref, ref]);
      const incident = await getIncident(ref);
      expect(incident.status).toBe('updated');
      expect(incident.interfaceId).toBe('brand-b');
      expect(incident.entries.map((entry) => entry.messageId)).toEqual([
        'first@customer.example',
        'second@customer.example',
        'third@customer.example',
      ]);
    }, 120_000);
  });

  it('never writes the password to its output', () => {
    expect(runtime.output.join('\n')).not.toContain(PASSWORD);
  });
});

function message(messageId: string, subject: string, extra: string): Buffer {
  return Buffer.from(
    `From: Carol Customer <carol@customer.example>\r\nTo: support@help.example\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\nDate: Fri, 04 Dec 2026 09:00:00 +0000\r\n${extra}\r\nHello,\r\nthe VPN keeps dropping.\r\n`,
  );
}

/** Compares each entry with the corpus's expected subject and sender. */
async function compareWithExpectations(
  run: Run,
  getIncident: (ref: string) => Promise<IncidentWithEntries>,
): Promise<{ matched: number; total: number; misses: string[] }> {
  let matched = 0;
  let total = 0;
  const misses: string[] = [];
  for (const entry of run.messages) {
    const fixture = CORPUS[deliveryIndex(entry.uidl)] as CorpusMessage;
    const { subject, from } = fixture.expected;
    if (
      (subject === undefined && from === undefined) ||
      !entry.referenceNumber
    ) {
      continue;
    }
    const incident = await getIncident(entry.referenceNumber);
    const stored =
      incident.entries.find(
        (e) => e.messageId && e.messageId === entry.messageId,
      ) ?? incident.entries[0];
    const pairs: [unknown, unknown][] = [];
    if (subject !== undefined) pairs.push([stored?.subject, subject]);
    if (from !== undefined) {
      pairs.push([stored?.from?.address?.toLowerCase(), from.address]);
    }
    for (const [actual, expected] of pairs) {
      total += 1;
      if (actual === expected) matched += 1;
      else
        misses.push(`${fixture.id}: ${String(actual)} != ${String(expected)}`);
    }
  }

  return { matched, total, misses };
}
