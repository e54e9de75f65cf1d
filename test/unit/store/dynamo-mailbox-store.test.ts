import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
} from '../../../functions/commons/errors.js';
import { defaultMailSettings } from '../../../functions/mailboxes/mail-settings.js';
import { emptyCounts } from '../../../functions/model.js';
import { ACCOUNT_GUARD_GRACE_MS } from '../../../functions/store/account-guard.js';
import { DynamoMailboxStore } from '../../../functions/store/dynamo-mailbox-store.js';
import type { NewMailbox } from '../../../functions/store/ports.js';
import { MAILBOXES_TABLE } from '../../../functions/store/tables.js';
import { type DynaliteFixture, startDynalite } from './dynalite-fixture.js';

const TABLE = MAILBOXES_TABLE.localName;
const NOW = new Date('2026-12-01T10:00:00.000Z');
const LATER = new Date('2026-12-01T11:00:00.000Z');

function newMailbox(id: string, account: string): NewMailbox {
  return {
    id,
    name: `Support ${id}`,
    popServer: 'pop.example.test',
    popPort: 995,
    security: 'tls',
    popAccount: account,
    interfaceId: 'default',
    enabled: true,
    leaveOnServer: false,
    maxMessageBytes: 10_000_000,
    ...defaultMailSettings(account),
    secretName: `techmail/mailboxes/${id}`,
  };
}

describe('DynamoMailboxStore', () => {
  let db: DynaliteFixture;
  let mailboxes: DynamoMailboxStore;

  beforeAll(async () => {
    db = await startDynalite();
    mailboxes = new DynamoMailboxStore(db.client, TABLE);
  });

  afterAll(async () => {
    await db.stop();
  });

  async function guardOf(server: string, account: string) {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: TABLE,
        Key: { pk: `ACCOUNT#${server}#${account}`, sk: 'ACCOUNT' },
      }),
    );

    return Item?.mailboxId;
  }

  describe('create', () => {
    it('stores a new mailbox as never run with no failures', async () => {
      const created = await mailboxes.create(newMailbox('c1', 'c1@x'), NOW);

      expect(created).toMatchObject({
        id: 'c1',
        status: 'never-run',
        consecutiveFailures: 0,
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
      expect(await mailboxes.get('c1')).toEqual(created);
    });

    it('throws ConflictError when another mailbox has the same server and account in another case', async () => {
      await mailboxes.create(newMailbox('c2', 'Helpdesk@X'), NOW);
      const duplicate = {
        ...newMailbox('c3', 'helpdesk@x'),
        popServer: 'POP.Example.TEST',
      };

      const attempt = mailboxes.create(duplicate, NOW);

      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toMatchObject({
        details: { mailboxId: 'c2' },
      });
      expect(await mailboxes.get('c3')).toBeUndefined();
    });

    it('rolls the guard back when the mailbox id is already taken', async () => {
      await mailboxes.create(newMailbox('c4', 'c4@x'), NOW);

      const attempt = mailboxes.create(newMailbox('c4', 'other@x'), NOW);

      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      expect(await guardOf('pop.example.test', 'other@x')).toBeUndefined();
      expect(await guardOf('pop.example.test', 'c4@x')).toBe('c4');
    });

    it('takes over a guard left by a crash once the grace period is over', async () => {
      await db.client.send(
        new PutCommand({
          TableName: TABLE,
          Item: {
            pk: 'ACCOUNT#pop.example.test#orphan@x',
            sk: 'ACCOUNT',
            mailboxId: 'gone',
            claimedAt: NOW.toISOString(),
          },
        }),
      );
      const afterGrace = new Date(NOW.getTime() + ACCOUNT_GUARD_GRACE_MS + 1);

      const early = mailboxes.create(newMailbox('c5', 'orphan@x'), NOW);
      await expect(early).rejects.toBeInstanceOf(ConflictError);
      const created = await mailboxes.create(
        newMailbox('c5', 'orphan@x'),
        afterGrace,
      );

      expect(created.id).toBe('c5');
      expect(await guardOf('pop.example.test', 'orphan@x')).toBe('c5');
    });
  });

  describe('get', () => {
    it('fills in the mail settings of a mailbox stored before they existed', async () => {
      const older = {
        id: 'g1',
        name: 'Support g1',
        popServer: 'pop.example.test',
        popPort: 995,
        security: 'tls',
        popAccount: 'Help@Example.com',
        interfaceId: 'default',
        enabled: true,
        leaveOnServer: false,
        maxMessageBytes: 10_000_000,
        secretName: 'techmail/mailboxes/g1',
        status: 'ok',
        consecutiveFailures: 0,
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      };
      await db.client.send(
        new PutCommand({
          TableName: TABLE,
          Item: { ...older, pk: 'MAILBOX#g1', sk: 'MAILBOX' },
        }),
      );

      const mailbox = await mailboxes.get('g1');

      expect(mailbox).toEqual({
        ...older,
        addresses: ['help@example.com'],
        autoReplyDetection: 'moderate',
        updatePolicy: 'anyone',
        floodLimit: 20,
        floodWindowHours: 12,
      });
    });
  });

  describe('update', () => {
    it('changes the mail settings', async () => {
      await mailboxes.create(newMailbox('u0', 'u0@x'), NOW);

      const updated = await mailboxes.update(
        'u0',
        {
          addresses: ['help@example.com'],
          autoReplyDetection: 'off',
          updatePolicy: 'contact',
          floodLimit: 5,
          floodWindowHours: 1,
        },
        LATER,
      );

      expect(await mailboxes.get('u0')).toEqual(updated);
      expect(updated).toMatchObject({
        addresses: ['help@example.com'],
        autoReplyDetection: 'off',
        updatePolicy: 'contact',
        floodLimit: 5,
        floodWindowHours: 1,
      });
    });

    it('applies the patch and moves the guard to the new account', async () => {
      await mailboxes.create(newMailbox('u1', 'old@x'), NOW);

      const updated = await mailboxes.update(
        'u1',
        { popAccount: 'new@x', enabled: false },
        LATER,
      );

      expect(updated).toMatchObject({
        popAccount: 'new@x',
        enabled: false,
        updatedAt: LATER.toISOString(),
        createdAt: NOW.toISOString(),
      });
      expect(await guardOf('pop.example.test', 'new@x')).toBe('u1');
      expect(await guardOf('pop.example.test', 'old@x')).toBeUndefined();
      await expect(
        mailboxes.create(newMailbox('u2', 'old@x'), LATER),
      ).resolves.toMatchObject({ id: 'u2' });
    });

    it('throws ConflictError and changes nothing when the new account belongs to another mailbox', async () => {
      await mailboxes.create(newMailbox('u3', 'u3@x'), NOW);
      await mailboxes.create(newMailbox('u4', 'u4@x'), NOW);

      const attempt = mailboxes.update('u3', { popAccount: 'U4@x' }, LATER);

      await expect(attempt).rejects.toMatchObject({
        details: { mailboxId: 'u4' },
      });
      expect((await mailboxes.get('u3'))?.popAccount).toBe('u3@x');
      expect(await guardOf('pop.example.test', 'u3@x')).toBe('u3');
    });

    it('ignores fields an admin may not change', async () => {
      await mailboxes.create(newMailbox('u5', 'u5@x'), NOW);
      const patch = { name: 'Renamed', secretName: 'elsewhere', status: 'ok' };

      const updated = await mailboxes.update('u5', patch, LATER);

      expect(updated).toMatchObject({
        name: 'Renamed',
        secretName: 'techmail/mailboxes/u5',
        status: 'never-run',
      });
    });

    it('throws NotFoundError for an unknown mailbox', async () => {
      const attempt = mailboxes.update('missing', { name: 'x' }, LATER);

      await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('delete', () => {
    it('removes the mailbox and frees its account', async () => {
      await mailboxes.create(newMailbox('d1', 'd1@x'), NOW);

      const deleted = await mailboxes.delete('d1');

      expect(deleted.id).toBe('d1');
      expect(await mailboxes.get('d1')).toBeUndefined();
      expect(await guardOf('pop.example.test', 'd1@x')).toBeUndefined();
    });

    it('throws NotFoundError for an unknown mailbox', async () => {
      await expect(mailboxes.delete('missing')).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });
  });

  describe('list', () => {
    it('returns mailboxes only, not guards or leases, ordered by name', async () => {
      await db.client.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 'LEASE#l1', sk: 'LEASE', runId: 'r', expiresAt: 1 },
        }),
      );

      const listed = await mailboxes.list();

      const names = listed.map((mailbox) => mailbox.name);
      expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
      expect(listed.every((mailbox) => mailbox.secretName)).toBe(true);
      expect(listed.some((mailbox) => 'pk' in mailbox)).toBe(false);
    });
  });

  describe('recordHealth', () => {
    it('writes the run outcome and removes an error a later run cleared', async () => {
      await mailboxes.create(newMailbox('h1', 'h1@x'), NOW);
      const lastRun = {
        runId: 'r1',
        status: 'failed' as const,
        counts: emptyCounts(),
      };
      await mailboxes.recordHealth(
        'h1',
        {
          status: 'login-failed',
          lastError: 'authentication rejected',
          consecutiveFailures: 1,
          backoffUntil: LATER.toISOString(),
          lastRun,
        },
        NOW,
      );

      await mailboxes.recordHealth(
        'h1',
        { status: 'ok', consecutiveFailures: 0, lastRun },
        LATER,
      );

      const mailbox = await mailboxes.get('h1');
      expect(mailbox).toMatchObject({
        status: 'ok',
        consecutiveFailures: 0,
        lastRun,
      });
      expect(mailbox).not.toHaveProperty('lastError');
      expect(mailbox).not.toHaveProperty('backoffUntil');
    });

    it('throws NotFoundError when the mailbox was deleted', async () => {
      const health = {
        status: 'ok' as const,
        consecutiveFailures: 0,
        lastRun: {
          runId: 'r',
          status: 'succeeded' as const,
          counts: emptyCounts(),
        },
      };

      await expect(
        mailboxes.recordHealth('missing', health, NOW),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
