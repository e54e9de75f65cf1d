import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mailbox } from '../../../functions/model.js';
import type { IncidentStore } from '../../../functions/store/ports.js';
import { processMessage } from '../../../functions/techmail/process-message.js';
import { type RawMailParts, rawMail } from '../../support/raw-mail.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T11:30:00.000Z');
const HOUR_MS = 3_600_000;

let stores: TestStores;

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

/** A message with a fresh Message-ID, so each one is new to the ledger. */
function fresh(parts: RawMailParts = {}): Buffer {
  return rawMail({ messageId: `<${randomUUID()}@customer.example>`, ...parts });
}

function take(
  mailbox: Mailbox,
  raw: Buffer,
  now = NOW,
  incidents: IncidentStore = stores.incidents,
) {
  return processMessage(
    mailbox,
    { uid: 'uid', raw },
    { incidents, blobs: stores.blobs },
    now,
  );
}

describe('flood control', () => {
  it('suppresses the messages of one sender past the limit, and no one else', async () => {
    const mailbox = await addMailbox(stores, { floodLimit: 3 });
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push((await take(mailbox, fresh())).outcome);
    }

    const other = await take(mailbox, fresh({ from: 'dan@other.example' }));

    expect(outcomes).toEqual([
      'created',
      'created',
      'created',
      'suppressed',
      'suppressed',
    ]);
    expect(other.outcome).toBe('created');
    const last = await take(mailbox, fresh());
    expect(last).toMatchObject({ outcome: 'suppressed', reason: 'flood' });
  });

  it('keeps counting suppressed messages, and lets the sender in once the window holds none', async () => {
    const mailbox = await addMailbox(stores, {
      floodLimit: 1,
      floodWindowHours: 2,
    });
    const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR_MS);
    await take(mailbox, fresh(), at(0));

    const next = await take(mailbox, fresh(), at(1));
    const stillFlooding = await take(mailbox, fresh(), at(2));
    const quiet = await take(mailbox, fresh(), at(4));

    expect(next.outcome).toBe('suppressed');
    expect(stillFlooding.outcome).toBe('suppressed');
    expect(quiet.outcome).toBe('created');
  });

  it('counts a retried message once', async () => {
    const mailbox = await addMailbox(stores, { floodLimit: 1 });
    const raw = fresh();
    await take(mailbox, raw);
    await take(mailbox, raw);

    const count = await stores.incidents.countSenderMessages(
      mailbox.id,
      'carol@customer.example',
      12,
      NOW,
    );

    expect(count).toBe(1);
  });

  it('does not count auto-replies, which never open incidents', async () => {
    const mailbox = await addMailbox(stores, { floodLimit: 1 });
    await take(mailbox, fresh({ headers: ['Auto-Submitted: auto-replied'] }));

    const question = await take(mailbox, fresh());

    expect(question.outcome).toBe('created');
  });

  it('is off with a limit of 0', async () => {
    const mailbox = await addMailbox(stores, { floodLimit: 0 });
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      outcomes.push((await take(mailbox, fresh())).outcome);
    }

    expect(outcomes).toEqual(['created', 'created', 'created']);
  });
});

describe('update policy', () => {
  /** An incident Carol opened, copying Erin. */
  async function incidentOf(mailbox: Mailbox) {
    const rootId = `${randomUUID()}@customer.example`;
    const first = await take(
      mailbox,
      rawMail({ messageId: `<${rootId}>`, cc: 'Erin <erin@customer.example>' }),
    );

    return { ref: first.referenceNumber as string, rootId };
  }

  function replyTo(rootId: string, from: string, headers: string[] = []) {
    return fresh({ from, headers: [`In-Reply-To: <${rootId}>`, ...headers] });
  }

  it.each([
    ['the contact', 'Carol <CAROL@customer.example>'],
    ['an address copied on the incident', 'erin@customer.example'],
  ])(
    'lets %s update the incident under the contact policy',
    async (_who, from) => {
      const mailbox = await addMailbox(stores, { updatePolicy: 'contact' });
      const { ref, rootId } = await incidentOf(mailbox);

      const reply = await take(mailbox, replyTo(rootId, from));

      expect(reply).toMatchObject({
        outcome: 'threaded',
        referenceNumber: ref,
      });
    },
  );

  it('gives a stranger quoting the incident a new incident that links to it', async () => {
    const mailbox = await addMailbox(stores, { updatePolicy: 'contact' });
    const { ref, rootId } = await incidentOf(mailbox);

    const reply = await take(
      mailbox,
      replyTo(rootId, 'mallory@elsewhere.example'),
    );

    expect(reply).toMatchObject({
      outcome: 'created',
      reason: 'update-refused',
    });
    expect(reply.referenceNumber).not.toBe(ref);
    const created = await stores.incidents.getIncident(
      reply.referenceNumber as string,
    );
    expect(created).toMatchObject({
      relatedReferenceNumbers: [ref],
      contact: { address: 'mallory@elsewhere.example' },
    });
    expect(await stores.incidents.listEntries(ref)).toHaveLength(1);
  });

  it("suppresses a stranger's auto-reply instead of noting it on the incident", async () => {
    const mailbox = await addMailbox(stores, { updatePolicy: 'contact' });
    const { rootId } = await incidentOf(mailbox);

    const reply = await take(
      mailbox,
      replyTo(rootId, 'mallory@elsewhere.example', ['Precedence: bulk']),
    );

    expect(reply).toMatchObject({
      outcome: 'suppressed',
      reason: 'auto-reply',
    });
  });

  it("keeps the contact policy of the incident's mailbox when a stranger replies through another mailbox", async () => {
    const strict = await addMailbox(stores, { updatePolicy: 'contact' });
    const open = await addMailbox(stores, { interfaceId: 'brand-b' });
    const { ref, rootId } = await incidentOf(strict);

    const reply = await processMessage(
      open,
      { uid: 'uid', raw: replyTo(rootId, 'mallory@elsewhere.example') },
      { incidents: stores.incidents, blobs: stores.blobs },
      NOW,
      { contactOnlyMailboxIds: [strict.id] },
    );

    expect(reply).toMatchObject({
      outcome: 'created',
      reason: 'update-refused',
    });
    expect(reply.referenceNumber).not.toBe(ref);
  });

  it("lets the incident's contact reply through another mailbox", async () => {
    const strict = await addMailbox(stores, { updatePolicy: 'contact' });
    const open = await addMailbox(stores, { interfaceId: 'brand-b' });
    const { ref, rootId } = await incidentOf(strict);

    const reply = await processMessage(
      open,
      { uid: 'uid', raw: replyTo(rootId, 'carol@customer.example') },
      { incidents: stores.incidents, blobs: stores.blobs },
      NOW,
      { contactOnlyMailboxIds: [strict.id] },
    );

    expect(reply).toMatchObject({ outcome: 'threaded', referenceNumber: ref });
  });

  it('lets anyone update the incident under the default policy', async () => {
    const mailbox = await addMailbox(stores);
    const { ref, rootId } = await incidentOf(mailbox);

    const reply = await take(
      mailbox,
      replyTo(rootId, 'mallory@elsewhere.example'),
    );

    expect(reply).toMatchObject({ outcome: 'threaded', referenceNumber: ref });
  });
});
