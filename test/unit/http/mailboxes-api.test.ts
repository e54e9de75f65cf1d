import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PATH_PARAMETER_CHARS } from '../../../functions/commons/http/request.js';
import {
  type ApiRequest,
  apiCaller,
  apiEvent,
  lambdaContext,
  readReply,
} from '../../support/api-gateway.js';
import { startHandlerEnvironment } from '../../support/handler-environment.js';
import type { TestStores } from '../../support/stores.js';

const secrets = mockClient(SecretsManagerClient);
const PASSWORD = 'Tr0ub4dor&3-never-echoed';

let stores: TestStores;
let handler: typeof import('../../../functions/mailboxes-api.js').handler;
let accounts = 0;

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  ({ handler } = await import('../../../functions/mailboxes-api.js'));
});

afterAll(async () => {
  await stores.stop();
});

beforeEach(() => {
  secrets.reset();
  secrets.on(CreateSecretCommand).resolves({});
  secrets.on(PutSecretValueCommand).resolves({});
  secrets.on(DeleteSecretCommand).resolves({});
});

const call = apiCaller(() => handler, 'mailboxes-api');

/** A create body with an account no other test uses. */
function newMailbox(overrides: Record<string, unknown> = {}) {
  accounts += 1;

  return {
    name: `Support ${accounts}`,
    popServer: 'pop.example.com',
    popAccount: `api-${accounts}@example.com`,
    password: PASSWORD,
    ...overrides,
  };
}

async function createMailbox(overrides: Record<string, unknown> = {}) {
  const reply = await call('POST', '/mailboxes', {
    body: newMailbox(overrides),
  });

  return reply.json as { id: string; popAccount: string };
}

function mailboxPath(id: string): ApiRequest {
  return { resource: '/mailboxes/{id}', pathParameters: { id } };
}

describe('mailboxes API', () => {
  describe('POST /mailboxes', () => {
    it('answers 201 with the mailbox and neither password nor secret name', async () => {
      const body = newMailbox({ interfaceId: 'brand-a' });

      const reply = await call('POST', '/mailboxes', { body });

      expect(reply.statusCode).toBe(201);
      expect(reply.json).toMatchObject({
        id: expect.any(String),
        name: body.name,
        popServer: 'pop.example.com',
        popPort: 995,
        security: 'tls',
        popAccount: body.popAccount,
        interfaceId: 'brand-a',
        enabled: true,
        leaveOnServer: false,
        status: 'never-run',
      });
      expect(reply.raw).not.toContain(PASSWORD);
      expect(reply.json).not.toHaveProperty('password');
      expect(reply.json).not.toHaveProperty('secretName');
    });

    it('puts the password in a secret named after the mailbox', async () => {
      const reply = await call('POST', '/mailboxes', { body: newMailbox() });

      const { id } = reply.json as { id: string };
      const [create] = secrets.commandCalls(CreateSecretCommand);
      expect(create?.args[0].input).toMatchObject({
        Name: `techmail/mailboxes/${id}`,
        SecretString: PASSWORD,
      });
    });

    it.each([
      ['popServer', { popServer: 'https://pop.example.com' }],
      ['password', { password: '' }],
      ['security', { security: 'ssl' }],
      ['popPort', { popPort: 70_000 }],
      ['colour', { colour: 'blue' }],
    ])('answers 400 naming %s', async (field, change) => {
      const reply = await call('POST', '/mailboxes', {
        body: newMailbox(change),
      });

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toEqual({
        error: {
          code: 'ValidationError',
          message: expect.stringContaining(field),
          field,
        },
      });
      expect(reply.raw).not.toContain(PASSWORD);
    });

    it.each([
      ['is not JSON', '{"name": '],
      ['is missing', undefined],
      ['is an array', '[]'],
    ])('answers 400 naming body when the body %s', async (_case, body) => {
      const reply = await call('POST', '/mailboxes', { body });

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({ error: { field: 'body' } });
    });

    it('answers 409 for the same server and account in other letter case', async () => {
      const first = newMailbox();
      await call('POST', '/mailboxes', { body: first });

      const reply = await call('POST', '/mailboxes', {
        body: newMailbox({
          popServer: first.popServer.toUpperCase(),
          popAccount: first.popAccount.toUpperCase(),
        }),
      });

      expect(reply.statusCode).toBe(409);
      expect(reply.json).toMatchObject({ error: { code: 'Conflict' } });
      expect(secrets.commandCalls(CreateSecretCommand)).toHaveLength(1);
    });

    it('answers a generic 500 and keeps no mailbox when the secret cannot be written', async () => {
      secrets
        .on(CreateSecretCommand)
        .rejects(
          new Error(
            'AccessDeniedException: arn:aws:iam::123456789012:role/x may not',
          ),
        );
      const body = newMailbox();

      const reply = await call('POST', '/mailboxes', { body });

      expect(reply.statusCode).toBe(500);
      expect(reply.json).toEqual({
        error: { code: 'InternalError', message: expect.any(String) },
      });
      expect(reply.raw).not.toMatch(/arn:aws|AccessDenied|secret/i);
      expect(reply.raw).not.toContain(PASSWORD);
      const listed = await call('GET', '/mailboxes');
      expect(listed.raw).not.toContain(body.popAccount);
    });
  });

  describe('GET /mailboxes', () => {
    it('lists the mailboxes with their status and without passwords', async () => {
      const created = await createMailbox();

      const reply = await call('GET', '/mailboxes');

      expect(reply.statusCode).toBe(200);
      const { items } = reply.json as { items: { id: string }[] };
      expect(items).toContainEqual(
        expect.objectContaining({ id: created.id, status: 'never-run' }),
      );
      expect(reply.raw).not.toContain(PASSWORD);
      expect(reply.raw).not.toContain('secretName');
    });
  });

  describe('GET /mailboxes/{id}', () => {
    it('returns the mailbox', async () => {
      const created = await createMailbox();

      const reply = await call(
        'GET',
        `/mailboxes/${created.id}`,
        mailboxPath(created.id),
      );

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toMatchObject({ id: created.id });
    });

    it('answers 404 for an unknown mailbox', async () => {
      const reply = await call('GET', '/mailboxes/nope', mailboxPath('nope'));

      expect(reply.statusCode).toBe(404);
      expect(reply.json).toEqual({
        error: { code: 'NotFound', message: expect.stringContaining('nope') },
      });
    });
    it('answers 400 naming the id when it is longer than the id limit', async () => {
      const id = 'x'.repeat(MAX_PATH_PARAMETER_CHARS + 1);

      const reply = await call('GET', `/mailboxes/${id}`, mailboxPath(id));

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({ error: { field: 'id' } });
    });
  });

  describe('request media type', () => {
    it('answers 400 naming content-type when the body is not sent as JSON', async () => {
      const event = apiEvent('POST', '/mailboxes', { body: newMailbox() });
      event.headers = { 'Content-Type': 'text/plain' };

      const reply = readReply(
        await handler(event, lambdaContext('mailboxes-api')),
      );

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({
        error: { code: 'ValidationError', field: 'content-type' },
      });
    });
  });

  describe('PATCH /mailboxes/{id}', () => {
    it('changes fields and sends a new password to the existing secret', async () => {
      const created = await createMailbox();
      secrets
        .on(CreateSecretCommand)
        .rejects(
          new ResourceExistsException({ message: 'exists', $metadata: {} }),
        );

      const reply = await call('PATCH', `/mailboxes/${created.id}`, {
        ...mailboxPath(created.id),
        body: { name: 'Renamed', password: `${PASSWORD}-2` },
      });

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toMatchObject({ id: created.id, name: 'Renamed' });
      expect(reply.raw).not.toContain(PASSWORD);
      const [put] = secrets.commandCalls(PutSecretValueCommand);
      expect(put?.args[0].input).toEqual({
        SecretId: `techmail/mailboxes/${created.id}`,
        SecretString: `${PASSWORD}-2`,
      });
    });

    it('answers 400 naming the field that is wrong', async () => {
      const created = await createMailbox();

      const reply = await call('PATCH', `/mailboxes/${created.id}`, {
        ...mailboxPath(created.id),
        body: { enabled: 'yes' },
      });

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({ error: { field: 'enabled' } });
    });

    it('answers 409 when moving onto another mailbox account', async () => {
      const taken = await createMailbox();
      const moving = await createMailbox();

      const reply = await call('PATCH', `/mailboxes/${moving.id}`, {
        ...mailboxPath(moving.id),
        body: { popAccount: taken.popAccount },
      });

      expect(reply.statusCode).toBe(409);
    });

    it('answers 404 for an unknown mailbox', async () => {
      const reply = await call('PATCH', '/mailboxes/nope', {
        ...mailboxPath('nope'),
        body: { name: 'Renamed' },
      });

      expect(reply.statusCode).toBe(404);
    });
  });

  describe('DELETE /mailboxes/{id}', () => {
    it('answers 204 and deletes the mailbox and its secret', async () => {
      const created = await createMailbox();
      const path = `/mailboxes/${created.id}`;

      const reply = await call('DELETE', path, mailboxPath(created.id));

      expect(reply.statusCode).toBe(204);
      expect(reply.raw).toBe('');
      const [deleted] = secrets.commandCalls(DeleteSecretCommand);
      expect(deleted?.args[0].input).toMatchObject({
        SecretId: `techmail/mailboxes/${created.id}`,
      });
      const after = await call('GET', path, mailboxPath(created.id));
      expect(after.statusCode).toBe(404);
    });

    it('answers 404 for an unknown mailbox', async () => {
      const reply = await call(
        'DELETE',
        '/mailboxes/nope',
        mailboxPath('nope'),
      );

      expect(reply.statusCode).toBe(404);
      expect(secrets.commandCalls(DeleteSecretCommand)).toEqual([]);
    });
  });

  describe('unknown routes', () => {
    it('answers 404 in the error shape', async () => {
      const reply = await call('PUT', '/mailboxes');

      expect(reply.statusCode).toBe(404);
      expect(reply.json).toMatchObject({ error: { code: 'NotFound' } });
    });
  });
});
