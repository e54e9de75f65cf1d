import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalEndpoint } from '../../../lib/local/http-support.js';
import { startSecretsManagerEndpoint } from '../../../lib/local/secrets-manager-endpoint.js';

const silent = new Logger({ logLevel: 'SILENT' });

describe('startSecretsManagerEndpoint', () => {
  let dir: string;
  let filePath: string;
  let endpoint: LocalEndpoint | undefined;
  let client: SecretsManagerClient;

  const start = async (): Promise<void> => {
    endpoint = await startSecretsManagerEndpoint({ filePath, logger: silent });
    client = new SecretsManagerClient({
      endpoint: endpoint.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  };

  const stop = async (): Promise<void> => {
    client.destroy();
    await endpoint?.stop();
    endpoint = undefined;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'techmail-secrets-'));
    filePath = join(dir, 'secrets', 'secrets.json');
    await start();
  });

  afterEach(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the value a secret was created with', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: 'techmail/m1', SecretString: 'pw-1' }),
    );

    const read = await client.send(
      new GetSecretValueCommand({ SecretId: 'techmail/m1' }),
    );

    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:techmail\/m1-\w{6}$/,
    );
    expect(read).toMatchObject({
      Name: 'techmail/m1',
      ARN: created.ARN,
      SecretString: 'pw-1',
      VersionId: created.VersionId,
      VersionStages: ['AWSCURRENT'],
    });
    expect(read.CreatedDate).toBeInstanceOf(Date);
  });

  it('serves the Powertools SecretsProvider', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'techmail/p1', SecretString: 'pw-p' }),
    );
    const provider = new SecretsProvider({ awsSdkV3Client: client });

    const value = await provider.get('techmail/p1', { maxAge: 0 });

    expect(value).toBe('pw-p');
  });

  it('finds a secret by its ARN', async () => {
    const { ARN } = await client.send(
      new CreateSecretCommand({ Name: 'techmail/m2', SecretString: 'pw' }),
    );

    const read = await client.send(
      new GetSecretValueCommand({ SecretId: ARN }),
    );

    expect(read.SecretString).toBe('pw');
  });

  it('makes a put value current and keeps the old one as previous', async () => {
    const first = await client.send(
      new CreateSecretCommand({ Name: 'techmail/m3', SecretString: 'old' }),
    );

    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: 'techmail/m3',
        SecretString: 'new',
      }),
    );
    const current = await client.send(
      new GetSecretValueCommand({ SecretId: 'techmail/m3' }),
    );
    const previous = await client.send(
      new GetSecretValueCommand({
        SecretId: 'techmail/m3',
        VersionStage: 'AWSPREVIOUS',
      }),
    );

    expect(put.VersionId).not.toBe(first.VersionId);
    expect(current.SecretString).toBe('new');
    expect(previous).toMatchObject({
      SecretString: 'old',
      VersionId: first.VersionId,
    });
  });

  it('describes a secret with its versions and no value', async () => {
    const created = await client.send(
      new CreateSecretCommand({
        Name: 'techmail/m4',
        SecretString: 'pw',
        Description: 'mailbox m4',
      }),
    );

    const described = await client.send(
      new DescribeSecretCommand({ SecretId: 'techmail/m4' }),
    );

    expect(described).toMatchObject({
      Name: 'techmail/m4',
      Description: 'mailbox m4',
      VersionIdsToStages: { [created.VersionId ?? '']: ['AWSCURRENT'] },
    });
    expect(described.LastChangedDate).toBeInstanceOf(Date);
    expect(JSON.stringify(described)).not.toContain('pw');
  });

  it('forgets a secret deleted without recovery', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'techmail/m5', SecretString: 'pw' }),
    );

    const deleted = await client.send(
      new DeleteSecretCommand({
        SecretId: 'techmail/m5',
        ForceDeleteWithoutRecovery: true,
      }),
    );
    const read = client.send(
      new GetSecretValueCommand({ SecretId: 'techmail/m5' }),
    );

    expect(deleted.DeletionDate).toBeInstanceOf(Date);
    await expect(read).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses to read a secret scheduled for deletion', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'techmail/m6', SecretString: 'pw' }),
    );
    await client.send(
      new DeleteSecretCommand({
        SecretId: 'techmail/m6',
        RecoveryWindowInDays: 7,
      }),
    );

    const read = client.send(
      new GetSecretValueCommand({ SecretId: 'techmail/m6' }),
    );

    await expect(read).rejects.toMatchObject({
      name: 'InvalidRequestException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('throws ResourceNotFoundException for an unknown secret', async () => {
    const read = client.send(
      new GetSecretValueCommand({ SecretId: 'techmail/none' }),
    );

    await expect(read).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('throws ResourceExistsException when the name is taken', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'techmail/m7', SecretString: 'a' }),
    );

    const again = client.send(
      new CreateSecretCommand({ Name: 'techmail/m7', SecretString: 'b' }),
    );

    await expect(again).rejects.toMatchObject({
      name: 'ResourceExistsException',
    });
  });

  it('throws InvalidParameterException for a malformed name', async () => {
    const created = client.send(
      new CreateSecretCommand({ Name: 'bad name!', SecretString: 'a' }),
    );

    await expect(created).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('keeps the file readable by its owner only', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'techmail/m8', SecretString: 'pw' }),
    );

    const file = await stat(filePath);
    const folder = await stat(join(dir, 'secrets'));

    expect(file.mode & 0o777).toBe(0o600);
    expect(folder.mode & 0o077).toBe(0);
  });

  it('keeps secrets across a restart', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'techmail/m9', SecretString: 'kept' }),
    );

    await stop();
    await start();
    const read = await client.send(
      new GetSecretValueCommand({ SecretId: 'techmail/m9' }),
    );

    expect(read.SecretString).toBe('kept');
  });

  it('keeps every change when many arrive at once', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `techmail/c${i}`);

    await Promise.all(
      names.map((Name) =>
        client.send(new CreateSecretCommand({ Name, SecretString: Name })),
      ),
    );
    const file = JSON.parse(await readFile(filePath, 'utf8'));

    expect(file.secrets).toHaveLength(names.length);
  });
});
