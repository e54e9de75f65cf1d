import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from 'vitest';
import type { Mailbox } from '../../../functions/model.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { FakePop3Server } from '../../support/fake-pop3-server.js';
import {
  startHandlerEnvironment,
  TEST_BUCKET,
} from '../../support/handler-environment.js';
import { composeMail } from '../../support/mail.js';
import { addMailbox, type TestStores } from '../../support/stores.js';

const lambda = mockClient(LambdaClient);
const s3 = mockClient(S3Client);
const secretsManager = mockClient(SecretsManagerClient);
const POP_PASSWORD = 'pop-s3cret';

let stores: TestStores;
let handler: typeof import('../../../functions/techmail.js').handler;
let fake: FakePop3Server | undefined;
let accounts = 0;

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  ({ handler } = await import('../../../functions/techmail.js'));
});

afterAll(async () => {
  await stores.stop();
});

beforeEach(() => {
  lambda.reset();
  s3.reset();
  secretsManager.reset();
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
  s3.on(PutObjectCommand).resolves({});
});

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Starts a fake POP3 server and a mailbox that points at it. */
async function mailboxOnFakeServer(messages: Buffer[]): Promise<Mailbox> {
  accounts += 1;
  const username = `techmail-${accounts}`;
  fake = await FakePop3Server.start({
    username,
    password: POP_PASSWORD,
    messages,
  });

  return addMailbox(stores, {
    popServer: '127.0.0.1',
    popPort: fake.port,
    security: 'none',
    popAccount: username,
  });
}

function run(mailbox: Mailbox, remainingTimeMs = 300_000) {
  return handler(
    { mailboxId: mailbox.id, runId: `run-${mailbox.id}`, trigger: 'on-demand' },
    lambdaContext('techmail', remainingTimeMs),
  );
}

function mails(count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) =>
    composeMail({ messageId: `<h${accounts}-${index}@customer.example>` }),
  );
}

describe('techmail handler', () => {
  it('runs the mailbox over POP3 and deletes what it stored', async () => {
    const mailbox = await mailboxOnFakeServer(mails(2));
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: POP_PASSWORD });

    const result = await run(mailbox);

    expect(result).toEqual({ runId: `run-${mailbox.id}`, status: 'succeeded' });
    expect(fake?.storedMessages).toEqual([]);
    const { items } = await stores.incidents.listIncidents({
      mailboxId: mailbox.id,
      limit: 10,
    });
    expect(items).toHaveLength(2);
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts.map((put) => put.args[0].input.Bucket)).toEqual([
      TEST_BUCKET,
      TEST_BUCKET,
    ]);
    expect(lambda.commandCalls(InvokeCommand)).toEqual([]);
  });

  it('fetches a rotated password from Secrets Manager after a rejected login', async () => {
    const mailbox = await mailboxOnFakeServer(mails(1));
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'before-rotation' })
      .resolves({ SecretString: POP_PASSWORD });

    const result = await run(mailbox);

    expect(result.status).toBe('succeeded');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails the run and marks the mailbox when the login stays rejected', async () => {
    const mailbox = await mailboxOnFakeServer(mails(1));
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: 'wrong-password' });

    const result = await run(mailbox);

    expect(result.status).toBe('failed');
    expect(await stores.mailboxes.get(mailbox.id)).toMatchObject({
      status: 'login-failed',
      consecutiveFailures: 1,
    });
    expect(fake?.storedMessages).toHaveLength(1);
  });

  it('queues a continuation when time runs short with mail left', async () => {
    const mailbox = await mailboxOnFakeServer(mails(3));
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: POP_PASSWORD });

    const result = await run(mailbox, 30_000);

    expect(result.status).toBe('succeeded');
    expect(fake?.storedMessages).toHaveLength(2);
    const [invoke] = lambda.commandCalls(InvokeCommand);
    const payload = Buffer.from(invoke?.args[0].input.Payload as Uint8Array);
    const next = JSON.parse(payload.toString('utf8')) as RunRequest;
    expect(next).toMatchObject({ mailboxId: mailbox.id, trigger: 'on-demand' });
    expect(next.runId).not.toBe(result.runId);
  });

  it.each([
    ['mailboxId', { runId: 'r1', trigger: 'schedule' }],
    ['runId', { mailboxId: 'm1', runId: '', trigger: 'schedule' }],
    ['trigger', { mailboxId: 'm1', runId: 'r1', trigger: 'cron' }],
  ])('rejects an event without a valid %s', async (field, event) => {
    const running = handler(event, lambdaContext('techmail'));

    await expect(running).rejects.toMatchObject({
      name: 'ValidationError',
      field,
    });
  });
});
