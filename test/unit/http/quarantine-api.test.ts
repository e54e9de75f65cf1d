import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from 'vitest';
import { contentKey, sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import { quarantineKey } from '../../../functions/techmail/process-message.js';
import { apiCaller, type JsonReply } from '../../support/api-gateway.js';
import { startHandlerEnvironment } from '../../support/handler-environment.js';
import { composeMail } from '../../support/mail.js';
import { addMailbox, type TestStores } from '../../support/stores.js';

const s3 = mockClient(S3Client);
const objects = new Map<string, Buffer>();

let stores: TestStores;
let handler: typeof import('../../../functions/quarantine-api.js').handler;

/** The help desk's own Message-ID domain, as the stack may set it. */
const OWN_DOMAIN = 'mail.helpdesk.example';

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  vi.stubEnv('TECHMAIL_MESSAGE_ID_DOMAIN', OWN_DOMAIN);
  ({ handler } = await import('../../../functions/quarantine-api.js'));
});

afterAll(async () => {
  await stores.stop();
});

beforeEach(() => {
  s3.reset();
  s3.on(PutObjectCommand).callsFake((input) => {
    objects.set(input.Key, Buffer.from(input.Body as Buffer));
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const body = objects.get(input.Key);
    if (!body) {
      throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    }
    return {
      Body: { transformToByteArray: async () => new Uint8Array(body) },
    } as unknown as GetObjectCommandOutput;
  });
});

const call = apiCaller(() => handler, 'quarantine-api');

function list(query: Record<string, string>): Promise<JsonReply> {
  return call('GET', '/quarantine', { query });
}

function reprocess(mailboxId: string, sha256: string): Promise<JsonReply> {
  return call('POST', `/quarantine/${mailboxId}/${sha256}/reprocess`, {
    resource: '/quarantine/{mailboxId}/{sha256}/reprocess',
    pathParameters: { mailboxId, sha256 },
  });
}

/**
 * Puts a message into quarantine the way a run leaves it: raw bytes in the
 * bucket, a `quarantined` ledger record, and the quarantine record.
 */
async function quarantine(
  mailbox: Mailbox,
  raw: Buffer,
  reason: string,
  quarantinedAt = '2026-12-04T10:00:00.000Z',
): Promise<string> {
  const sha256 = sha256Hex(raw);
  const key = quarantineKey(mailbox.id, sha256);
  objects.set(key, raw);
  await stores.incidents.putLedgerIfAbsent({
    mailboxId: mailbox.id,
    messageKey: contentKey(raw),
    state: 'done',
    sha256,
    outcome: 'quarantined',
    reason,
    decidedAt: quarantinedAt,
  });
  await stores.incidents.putQuarantined({
    mailboxId: mailbox.id,
    sha256,
    key,
    reason,
    sizeBytes: raw.length,
    quarantinedAt,
  });

  return sha256;
}

async function incidentsOf(mailbox: Mailbox) {
  const { items } = await stores.incidents.listIncidents({
    mailboxId: mailbox.id,
    limit: 100,
  });

  return items;
}

describe('quarantine API', () => {
  describe('GET /quarantine', () => {
    it('lists the quarantined messages of a mailbox, newest first', async () => {
      const mailbox = await addMailbox(stores);
      const older = await quarantine(
        mailbox,
        Buffer.from('first broken message\r\n'),
        'unparseable',
        '2026-12-04T09:00:00.000Z',
      );
      const newer = await quarantine(
        mailbox,
        Buffer.from('second broken message\r\n'),
        'unparseable',
        '2026-12-04T11:00:00.000Z',
      );

      const reply = await list({ mailboxId: mailbox.id });

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toEqual({
        items: [
          {
            mailboxId: mailbox.id,
            sha256: newer,
            key: quarantineKey(mailbox.id, newer),
            reason: 'unparseable',
            sizeBytes: 23,
            quarantinedAt: '2026-12-04T11:00:00.000Z',
          },
          expect.objectContaining({ sha256: older }),
        ],
      });
    });

    it('pages with limit and nextToken', async () => {
      const mailbox = await addMailbox(stores);
      for (const n of [1, 2, 3]) {
        await quarantine(
          mailbox,
          Buffer.from(`broken ${n}\r\n`),
          'unparseable',
        );
      }

      const first = await list({ mailboxId: mailbox.id, limit: '2' });
      const token = (first.json as { nextToken: string }).nextToken;
      const second = await list({ mailboxId: mailbox.id, nextToken: token });

      expect((first.json as { items: unknown[] }).items).toHaveLength(2);
      expect((second.json as { items: unknown[] }).items).toHaveLength(1);
    });

    it.each([
      [{}, 'mailboxId'],
      [{ mailboxId: 'm', limit: '0' }, 'limit'],
      [{ mailboxId: 'm', reason: 'x' }, 'reason'],
    ])('answers 400 naming the field for %j', async (query, field) => {
      const reply = await list(query as Record<string, string>);

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({ error: { field } });
    });

    it('answers 404 for a mailbox that does not exist', async () => {
      expect((await list({ mailboxId: 'no-such-mailbox' })).statusCode).toBe(
        404,
      );
    });
  });

  describe('POST /quarantine/{mailboxId}/{sha256}/reprocess', () => {
    it('reports a message the parser still rejects and keeps it listed', async () => {
      const mailbox = await addMailbox(stores);
      const sha256 = await quarantine(
        mailbox,
        Buffer.from('no header section at all\r\n'),
        'unparseable',
      );

      const reply = await reprocess(mailbox.id, sha256);

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toMatchObject({
        status: 'still-quarantined',
        reason: 'unparseable',
        message: expect.stringContaining('no-headers'),
      });
      const listed = await list({ mailboxId: mailbox.id });
      expect(listed.json).toMatchObject({ items: [{ sha256 }] });
    });

    it('creates the incident once a message parses, e.g. after a parser fix, and takes it off the list', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: null, subject: 'Fixed parser' });
      const sha256 = await quarantine(mailbox, raw, 'unparseable');

      const reply = await reprocess(mailbox.id, sha256);

      expect(reply.json).toMatchObject({
        status: 'released',
        outcome: 'created',
        referenceNumber: expect.stringMatching(/^\d{6}-\d{6}$/),
      });
      const [incident] = await incidentsOf(mailbox);
      expect(incident?.subject).toBe('Fixed parser');
      expect((await list({ mailboxId: mailbox.id })).json).toEqual({
        items: [],
      });
    });

    it('suppresses our own mail coming back as a loop, as a run would', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: `<reply-7@${OWN_DOMAIN}>` });
      const sha256 = await quarantine(mailbox, raw, 'unparseable');

      const reply = await reprocess(mailbox.id, sha256);

      expect(reply.json).toMatchObject({
        status: 'released',
        outcome: 'suppressed',
      });
      expect(await incidentsOf(mailbox)).toEqual([]);
    });

    it('lets an oversize message through once the mailbox limit is raised', async () => {
      const mailbox = await addMailbox(stores, { maxMessageBytes: 100 });
      const raw = composeMail({ messageId: '<big@customer.example>' });
      const sha256 = await quarantine(mailbox, raw, 'oversize');

      const refused = await reprocess(mailbox.id, sha256);
      await stores.mailboxes.update(
        mailbox.id,
        { maxMessageBytes: 1024 * 1024 },
        new Date(),
      );
      const released = await reprocess(mailbox.id, sha256);

      expect(refused.json).toMatchObject({
        status: 'still-quarantined',
        reason: 'oversize',
      });
      expect(released.json).toMatchObject({
        status: 'released',
        outcome: 'created',
      });
    });

    it('creates one incident however often and however concurrently it is asked', async () => {
      const mailbox = await addMailbox(stores);
      const raw = composeMail({ messageId: null, subject: 'Asked five times' });
      const sha256 = await quarantine(mailbox, raw, 'unparseable');

      const replies = await Promise.all(
        Array.from({ length: 5 }, () => reprocess(mailbox.id, sha256)),
      );
      const again = await reprocess(mailbox.id, sha256);

      const refs = [...replies, again].map(
        (reply) => (reply.json as { referenceNumber?: string }).referenceNumber,
      );
      expect(new Set(refs).size).toBe(1);
      expect(await incidentsOf(mailbox)).toHaveLength(1);
    });

    it('answers 404 for a message that was never quarantined', async () => {
      const mailbox = await addMailbox(stores);

      const reply = await reprocess(mailbox.id, sha256Hex('unknown'));

      expect(reply.statusCode).toBe(404);
    });

    it('answers 400 naming sha256 when it is not a hash', async () => {
      const reply = await reprocess('mbx', 'not-a-hash');

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({ error: { field: 'sha256' } });
    });
  });
});
