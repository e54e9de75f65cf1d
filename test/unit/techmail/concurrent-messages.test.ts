import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../functions/commons/clients/dynamodb.js';
import { logger } from '../../../functions/commons/powertools/logger.js';
import { messageKey } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import { DynamoIncidentStore } from '../../../functions/store/dynamo-incident-store.js';
import { StoreError } from '../../../functions/store/errors.js';
import type {
  BlobStore,
  IncidentStore,
} from '../../../functions/store/ports.js';
import { INCIDENTS_TABLE } from '../../../functions/store/tables.js';
import { processMessage } from '../../../functions/techmail/process-message.js';
import {
  type RunResult,
  runMailbox,
} from '../../../functions/techmail/run-mailbox.js';
import { composeMail } from '../../support/mail.js';
import { ScriptedMailbox } from '../../support/scripted-mail-source.js';
import {
  addMailbox,
  startTestStores,
  TEST_AWS,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const PASSWORD = 'pop-password';

/**
 * Store requests (DynamoDB requests plus object puts) a message may take:
 * a new one reads its ledger, the sender's count and the reference
 * counter, and writes the ledger, the count, the raw bytes, the incident,
 * its Message-ID, the entry and the ledger's done mark.
 */
const MAX_CALLS_NEW_MESSAGE = 10;

/**
 * A reply instead of the reference counter and the incident looks up the
 * Message-IDs it answers, and updates the incident (read, conditional
 * update, index of its own Message-ID).
 */
const MAX_CALLS_REPLY = 11;

let stores: TestStores;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

function serverWith(...raws: Buffer[]): ScriptedMailbox {
  return new ScriptedMailbox({
    password: PASSWORD,
    messages: raws.map((raw, index) => ({ uid: `uid-${index + 1}`, raw })),
  });
}

function runOnce(
  mailbox: Mailbox,
  server: ScriptedMailbox,
  incidents: IncidentStore = stores.incidents,
): Promise<RunResult> {
  return runMailbox(
    { mailboxId: mailbox.id, runId: randomUUID(), trigger: 'schedule' },
    {
      ...stores,
      incidents,
      connect: server.connect,
      remainingTimeMs: () => 600_000,
      leaseTtlMs: 900_000,
      now: () => NOW,
    },
  );
}

function mail(id: string, inReplyTo?: string): Buffer {
  return composeMail({
    messageId: `<${id}@customer.example>`,
    ...(inReplyTo ? { inReplyTo: `<${inReplyTo}@customer.example>` } : {}),
  });
}

function keyOf(id: string): string {
  return messageKey(`${id}@customer.example`, Buffer.alloc(0));
}

/** The test store with some of its methods replaced. */
function storeWith(overrides: Partial<IncidentStore>): IncidentStore {
  return Object.assign(
    Object.create(stores.incidents) as IncidentStore,
    overrides,
  );
}

describe('messages whose writes overlap', () => {
  it('threads a reply delivered in the same run as its original onto it even while the original is still being written', async () => {
    const mailbox = await addMailbox(stores);
    const server = serverWith(
      mail('c-original'),
      mail('c-other-1'),
      mail('c-other-2'),
      mail('c-reply', 'c-original'),
    );
    const slowIncidents = storeWith({
      putIncident: async (incident) => {
        await sleep(50);
        await stores.incidents.putIncident(incident);
      },
    });

    const { run } = await runOnce(mailbox, server, slowIncidents);

    const [original, , , reply] = run.messages;
    expect(original?.outcome).toBe('created');
    expect(reply).toMatchObject({
      outcome: 'threaded',
      referenceNumber: original?.referenceNumber,
    });
  });

  it('deletes the other messages of a window once their writes are durable when one message fails, and keeps the failed one', async () => {
    const mailbox = await addMailbox(stores);
    const server = serverWith(mail('w-1'), mail('w-2'), mail('w-3'));
    let thirdDone: () => void = () => undefined;
    const thirdIsDone = new Promise<void>((resolve) => {
      thirdDone = resolve;
    });
    const incidents = storeWith({
      putEntry: async (ref, entry) => {
        if (entry.messageId !== 'w-2@customer.example') {
          return stores.incidents.putEntry(ref, entry);
        }
        await thirdIsDone;
        throw new StoreError('incidents.putEntry', ref, 'table unreachable');
      },
      markLedgerDone: async (mailboxId, key) => {
        await stores.incidents.markLedgerDone(mailboxId, key);
        server.log.push(`ledger-done ${key}`);
        if (key === keyOf('w-3')) thirdDone();
      },
    });

    const { run } = await runOnce(mailbox, server, incidents);

    expect(run.status).toBe('failed');
    expect(server.uids).toEqual(['uid-2']);
    expect(run.messages.map((message) => message.uidl)).toEqual([
      'uid-1',
      'uid-3',
    ]);
    expect(server.log.indexOf(`ledger-done ${keyOf('w-3')}`)).toBeLessThan(
      server.log.indexOf('dele uid-3'),
    );
    expect(server.log).not.toContain('dele uid-2');
  });

  it('leaves a reply on the server undecided when its original could not be written, and threads it in the next run', async () => {
    const mailbox = await addMailbox(stores);
    const server = serverWith(
      mail('f-original'),
      mail('f-reply', 'f-original'),
    );
    const failing = storeWith({
      putIncident: async () => {
        await sleep(20);
        throw new StoreError('incidents.putIncident', 'test', 'unreachable');
      },
    });

    const first = await runOnce(mailbox, server, failing);
    const undecided = await stores.incidents.getLedger(
      mailbox.id,
      keyOf('f-reply'),
    );
    const second = await runOnce(mailbox, server);

    expect(first.run.status).toBe('failed');
    expect(undecided).toBeUndefined();
    const [original, reply] = second.run.messages;
    expect(original?.outcome).toBe('created');
    expect(reply).toMatchObject({
      outcome: 'threaded',
      referenceNumber: original?.referenceNumber,
    });
    expect(server.uids).toEqual([]);
  });

  it('reports and deletes messages in server order even when later ones finish first', async () => {
    const mailbox = await addMailbox(stores);
    const ids = ['o-1', 'o-2', 'o-3', 'o-4'];
    const server = serverWith(...ids.map((id) => mail(id)));
    const firstIsSlow = storeWith({
      putEntry: async (ref, entry) => {
        if (entry.messageId === 'o-1@customer.example') await sleep(100);
        await stores.incidents.putEntry(ref, entry);
      },
    });

    const { run } = await runOnce(mailbox, server, firstIsSlow);

    const uids = ['uid-1', 'uid-2', 'uid-3', 'uid-4'];
    expect(run.messages.map((message) => message.uidl)).toEqual(uids);
    expect(server.log.filter((line) => line.startsWith('dele'))).toEqual(
      uids.map((uid) => `dele ${uid}`),
    );
  });
});

describe('flood counts within a run', () => {
  it("reads a sender's count once per run and still suppresses the messages past the limit", async () => {
    const mailbox = await addMailbox(stores, { floodLimit: 2 });
    const server = serverWith(mail('fl-1'), mail('fl-2'), mail('fl-3'));
    let reads = 0;
    const incidents = storeWith({
      countSenderMessages: (...args) => {
        reads += 1;
        return stores.incidents.countSenderMessages(...args);
      },
    });

    const { run } = await runOnce(mailbox, server, incidents);

    expect(run.messages.map((message) => message.reason)).toEqual([
      undefined,
      undefined,
      'flood',
    ]);
    expect(reads).toBe(1);
  });
});

describe('store requests per message', () => {
  let requests = 0;
  let client: DynamoDBDocumentClient;
  let counted: { incidents: IncidentStore; blobs: BlobStore };

  beforeAll(() => {
    client = createDocumentClient({ ...TEST_AWS, endpoint: stores.endpoint });
    client.middlewareStack.add(
      (next) => (args) => {
        requests += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const blobs: BlobStore = {
      put: async (...args) => {
        requests += 1;
        await stores.blobs.put(...args);
      },
      putIfAbsent: async (...args) => {
        requests += 1;
        await stores.blobs.putIfAbsent(...args);
      },
      get: (key) => stores.blobs.get(key),
    };
    counted = {
      incidents: new DynamoIncidentStore(client, INCIDENTS_TABLE.localName),
      blobs,
    };
  });

  afterAll(() => {
    client.destroy();
  });

  async function requestsFor(mailbox: Mailbox, raw: Buffer): Promise<number> {
    const before = requests;
    await processMessage(mailbox, { uid: 'uid', raw }, counted, NOW);

    return requests - before;
  }

  it(`takes at most ${MAX_CALLS_NEW_MESSAGE} requests for a new message and ${MAX_CALLS_REPLY} for a reply`, async () => {
    const mailbox = await addMailbox(stores);

    const created = await requestsFor(mailbox, mail('n-original'));
    const threaded = await requestsFor(mailbox, mail('n-reply', 'n-original'));

    expect(created).toBeLessThanOrEqual(MAX_CALLS_NEW_MESSAGE);
    expect(threaded).toBeLessThanOrEqual(MAX_CALLS_REPLY);
  });
});
