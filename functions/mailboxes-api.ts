import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { NotFoundError } from './commons/errors.js';
import { apiHandler } from './commons/http/api-handler.js';
import { pathParameter, readJsonObject } from './commons/http/request.js';
import { jsonResponse } from './commons/http/responses.js';
import { MailboxService } from './mailboxes/mailbox-service.js';
import {
  validateMailboxPatch,
  validateNewMailbox,
} from './mailboxes/validate-mailbox.js';
import { createStores } from './store/index.js';
import { mailboxSecretName } from './store/secrets-manager-store.js';

const stores = createStores();
const service = new MailboxService({
  mailboxes: stores.mailboxes,
  secrets: stores.secrets,
  secretNameFor: (id) => mailboxSecretName(getConfig().secretPrefix, id),
});

async function createMailbox(event: APIGatewayProxyEvent) {
  const input = validateNewMailbox(readJsonObject(event));

  return jsonResponse(201, await service.create(input, new Date()));
}

async function listMailboxes() {
  return jsonResponse(200, { items: await service.list() });
}

async function getMailbox(event: APIGatewayProxyEvent) {
  const id = pathParameter(event, 'id');
  const mailbox = await service.get(id);
  if (!mailbox) throw new NotFoundError('mailbox', id);

  return jsonResponse(200, mailbox);
}

async function updateMailbox(event: APIGatewayProxyEvent) {
  const id = pathParameter(event, 'id');
  const change = validateMailboxPatch(readJsonObject(event));

  return jsonResponse(200, await service.update(id, change, new Date()));
}

async function deleteMailbox(event: APIGatewayProxyEvent) {
  await service.delete(pathParameter(event, 'id'));

  return { statusCode: 204, body: '' };
}

/** Admin API for mailboxes: create, list, read, change, remove. */
export const handler = apiHandler([
  { method: 'POST', path: '/mailboxes', handler: createMailbox },
  { method: 'GET', path: '/mailboxes', handler: listMailboxes },
  { method: 'GET', path: '/mailboxes/{id}', handler: getMailbox },
  { method: 'PATCH', path: '/mailboxes/{id}', handler: updateMailbox },
  { method: 'DELETE', path: '/mailboxes/{id}', handler: deleteMailbox },
]);
