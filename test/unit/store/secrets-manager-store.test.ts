import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NotFoundError,
  ValidationError,
} from '../../../functions/commons/errors.js';
import { StoreError } from '../../../functions/store/errors.js';
import {
  mailboxSecretName,
  SecretsManagerStore,
} from '../../../functions/store/secrets-manager-store.js';

const PREFIX = 'techmail/';
const NAME = mailboxSecretName(PREFIX, 'mbx-1');
const PASSWORD = 'correct horse battery staple';

describe('SecretsManagerStore', () => {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(client);

  afterEach(() => {
    sm.reset();
  });

  describe('mailboxSecretName', () => {
    it('puts the mailbox under the prefix', () => {
      expect(mailboxSecretName('techmail/', 'mbx-1')).toBe(
        'techmail/mailboxes/mbx-1',
      );
    });
  });

  describe('getPassword', () => {
    it('serves a repeated read from the cache', async () => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: PASSWORD });
      const secrets = new SecretsManagerStore(client, PREFIX);

      const first = await secrets.getPassword(NAME);
      const second = await secrets.getPassword(NAME);

      expect([first, second]).toEqual([PASSWORD, PASSWORD]);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    });

    it('bypasses the cache with forceFetch', async () => {
      sm.on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: 'old' })
        .resolves({ SecretString: 'rotated' });
      const secrets = new SecretsManagerStore(client, PREFIX);
      await secrets.getPassword(NAME);

      const fresh = await secrets.getPassword(NAME, { forceFetch: true });

      expect(fresh).toBe('rotated');
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('throws NotFoundError when the secret does not exist', async () => {
      sm.on(GetSecretValueCommand).rejects(
        new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
      );
      const secrets = new SecretsManagerStore(client, PREFIX);

      await expect(secrets.getPassword(NAME)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('throws StoreError with the SDK error as cause on other failures', async () => {
      const denied = Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
      });
      sm.on(GetSecretValueCommand).rejects(denied);
      const secrets = new SecretsManagerStore(client, PREFIX);

      const attempt = secrets.getPassword(NAME);

      await expect(attempt).rejects.toBeInstanceOf(StoreError);
      await expect(attempt).rejects.toMatchObject({ cause: denied });
    });

    it('refuses a secret outside the prefix', async () => {
      const secrets = new SecretsManagerStore(client, PREFIX);

      await expect(
        secrets.getPassword('other-app/db-password'),
      ).rejects.toMatchObject({ field: 'secretName' });
      expect(sm.calls()).toHaveLength(0);
    });
  });

  describe('putPassword', () => {
    it('creates the secret when it does not exist', async () => {
      sm.on(CreateSecretCommand).resolves({});
      const secrets = new SecretsManagerStore(client, PREFIX);

      await secrets.putPassword(NAME, PASSWORD);

      expect(
        sm.commandCalls(CreateSecretCommand)[0]?.args[0].input,
      ).toMatchObject({ Name: NAME, SecretString: PASSWORD });
      expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    });

    it('stores a new version when the secret exists', async () => {
      sm.on(CreateSecretCommand).rejects(
        new ResourceExistsException({ message: 'exists', $metadata: {} }),
      );
      sm.on(PutSecretValueCommand).resolves({});
      const secrets = new SecretsManagerStore(client, PREFIX);

      await secrets.putPassword(NAME, PASSWORD);

      expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: NAME,
        SecretString: PASSWORD,
      });
    });

    it('drops the cached password so the next read sees the new one', async () => {
      sm.on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: 'old' })
        .resolves({ SecretString: 'new' });
      sm.on(CreateSecretCommand).resolves({});
      const secrets = new SecretsManagerStore(client, PREFIX);
      await secrets.getPassword(NAME);

      await secrets.putPassword(NAME, 'new');

      expect(await secrets.getPassword(NAME)).toBe('new');
    });

    it('keeps the password out of the error when Secrets Manager fails', async () => {
      sm.on(CreateSecretCommand).rejects(
        Object.assign(new Error('rate exceeded'), {
          name: 'ThrottlingException',
        }),
      );
      const secrets = new SecretsManagerStore(client, PREFIX);

      const error = await secrets.putPassword(NAME, PASSWORD).catch((e) => e);

      expect(error.name).toBe('StoreThrottledError');
      expect(JSON.stringify(error)).not.toContain(PASSWORD);
      expect(`${error.message} ${error.cause.message}`).not.toContain(PASSWORD);
    });

    it('rejects an empty password naming the field', async () => {
      const secrets = new SecretsManagerStore(client, PREFIX);

      await expect(secrets.putPassword(NAME, '')).rejects.toMatchObject({
        field: 'password',
      });
    });
  });

  describe('deletePassword', () => {
    it('deletes at once without a recovery window by default', async () => {
      sm.on(DeleteSecretCommand).resolves({});
      const secrets = new SecretsManagerStore(client, PREFIX);

      await secrets.deletePassword(NAME);

      expect(sm.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
        SecretId: NAME,
        ForceDeleteWithoutRecovery: true,
      });
    });

    it('keeps the secret recoverable when a recovery window is configured', async () => {
      sm.on(DeleteSecretCommand).resolves({});
      const secrets = new SecretsManagerStore(client, PREFIX, {
        recoveryWindowDays: 14,
      });

      await secrets.deletePassword(NAME);

      expect(sm.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
        SecretId: NAME,
        RecoveryWindowInDays: 14,
      });
    });

    it('treats a missing secret as deleted', async () => {
      sm.on(DeleteSecretCommand).rejects(
        new ResourceNotFoundException({ message: 'gone', $metadata: {} }),
      );
      const secrets = new SecretsManagerStore(client, PREFIX);

      await expect(secrets.deletePassword(NAME)).resolves.toBeUndefined();
    });

    it('rejects a recovery window Secrets Manager would refuse', () => {
      expect(
        () =>
          new SecretsManagerStore(client, PREFIX, { recoveryWindowDays: 3 }),
      ).toThrow(ValidationError);
    });
  });
});
