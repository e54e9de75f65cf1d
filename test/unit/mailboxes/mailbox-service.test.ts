import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
} from '../../../functions/commons/errors.js';
import { MailboxService } from '../../../functions/mailboxes/mailbox-service.js';
import {
  type MailboxInput,
  validateNewMailbox,
} from '../../../functions/mailboxes/validate-mailbox.js';
import type { SecretStore } from '../../../functions/store/ports.js';
import { MemorySecretStore } from '../../support/memory-secret-store.js';
import { startTestStores, type TestStores } from '../../support/stores.js';

const NOW = new Date('2026-12-04T14:00:00.000Z');

let stores: TestStores;
let accounts = 0;

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

function serviceWith(secrets: SecretStore): MailboxService {
  return new MailboxService({
    mailboxes: stores.mailboxes,
    secrets,
    secretNameFor: (id) => `techmail/mailboxes/${id}`,
  });
}

/** A checked create request with an account no other test uses. */
function newInput(overrides: Record<string, unknown> = {}): MailboxInput {
  accounts += 1;

  return validateNewMailbox({
    name: `Support ${accounts}`,
    popServer: 'pop.example.com',
    popAccount: `service-${accounts}@example.com`,
    password: 'first-password',
    ...overrides,
  });
}

describe('MailboxService', () => {
  describe('create', () => {
    it('stores the password as a secret and returns the mailbox without it', async () => {
      const secrets = new MemorySecretStore();
      const service = serviceWith(secrets);

      const view = await service.create(newInput(), NOW);

      const stored = await stores.mailboxes.get(view.id);
      expect(await secrets.getPassword(stored?.secretName as string)).toBe(
        'first-password',
      );
      expect(view).toMatchObject({ status: 'never-run', enabled: true });
      expect(JSON.stringify(view)).not.toMatch(/first-password|secretName/);
    });

    it('writes no secret when the account is taken', async () => {
      const secrets = new MemorySecretStore();
      const service = serviceWith(secrets);
      const first = newInput();
      await service.create(first, NOW);

      const creating = service.create(
        newInput({ popAccount: first.popAccount.toUpperCase() }),
        NOW,
      );

      await expect(creating).rejects.toBeInstanceOf(ConflictError);
      expect(secrets.reads).toEqual([]);
    });

    it('removes the mailbox again when the secret cannot be written', async () => {
      const secrets = new MemorySecretStore();
      secrets.putPassword = async () => {
        throw new Error('Secrets Manager unavailable');
      };
      const service = serviceWith(secrets);
      const input = newInput();

      const creating = service.create(input, NOW);

      await expect(creating).rejects.toThrow('Secrets Manager unavailable');
      const names = (await service.list()).map((mailbox) => mailbox.name);
      expect(names).not.toContain(input.name);
      const retried = await serviceWith(new MemorySecretStore()).create(
        input,
        NOW,
      );
      expect(retried.popAccount).toBe(input.popAccount);
    });
  });

  describe('update', () => {
    it('replaces the password in the secret store', async () => {
      const secrets = new MemorySecretStore();
      const service = serviceWith(secrets);
      const created = await service.create(newInput(), NOW);

      const updated = await service.update(
        created.id,
        { patch: { name: 'Renamed' }, password: 'second-password' },
        NOW,
      );

      expect(updated.name).toBe('Renamed');
      const secretName = `techmail/mailboxes/${created.id}`;
      expect(await secrets.getPassword(secretName)).toBe('second-password');
    });
  });

  describe('delete', () => {
    it('removes the mailbox and its secret', async () => {
      const secrets = new MemorySecretStore();
      const service = serviceWith(secrets);
      const created = await service.create(newInput(), NOW);

      await service.delete(created.id);

      expect(await service.get(created.id)).toBeUndefined();
      expect(secrets.has(`techmail/mailboxes/${created.id}`)).toBe(false);
    });

    it('throws NotFoundError for an unknown mailbox', async () => {
      const service = serviceWith(new MemorySecretStore());

      const deleting = service.delete('no-such-mailbox');

      await expect(deleting).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('list', () => {
    it('orders mailboxes by name and hides secret names', async () => {
      const service = serviceWith(new MemorySecretStore());
      await service.create(newInput({ name: 'zz last' }), NOW);
      await service.create(newInput({ name: 'aa first' }), NOW);

      const listed = await service.list();

      const names = listed.map((mailbox) => mailbox.name);
      expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
      expect(listed.every((mailbox) => !('secretName' in mailbox))).toBe(true);
    });
  });
});
