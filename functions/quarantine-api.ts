import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { NotFoundError, ValidationError } from './commons/errors.js';
import { apiHandler } from './commons/http/api-handler.js';
import { pathParameter, sha256Parameter } from './commons/http/request.js';
import { jsonResponse } from './commons/http/responses.js';
import { logger } from './commons/powertools/logger.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from './incidents/incident-queries.js';
import { reprocessQuarantined } from './quarantine/reprocess-quarantined.js';
import { createStores } from './store/index.js';

const stores = createStores();
const QUERY_FIELDS = new Set(['mailboxId', 'limit', 'nextToken']);

async function listQuarantine(event: APIGatewayProxyEvent) {
  const query = event.queryStringParameters ?? {};
  const unknown = Object.keys(query).find((key) => !QUERY_FIELDS.has(key));
  if (unknown !== undefined) {
    throw new ValidationError(
      unknown,
      `${unknown} is not a parameter; use ${[...QUERY_FIELDS].join(', ')}`,
    );
  }
  const mailboxId = query.mailboxId;
  if (!mailboxId) {
    throw new ValidationError('mailboxId', 'mailboxId is required');
  }
  const limit = readLimit(query.limit);
  if (!(await stores.mailboxes.get(mailboxId))) {
    throw new NotFoundError('mailbox', mailboxId);
  }
  const page = await stores.incidents.listQuarantined(mailboxId, {
    limit,
    nextToken: query.nextToken || undefined,
  });

  return jsonResponse(200, {
    items: page.items.map(({ released: _released, ...item }) => item),
    nextToken: page.nextToken,
  });
}

async function reprocess(event: APIGatewayProxyEvent) {
  const mailboxId = pathParameter(event, 'mailboxId');
  const sha256 = sha256Parameter(event, 'sha256');
  const result = await reprocessQuarantined(mailboxId, sha256, {
    ...stores,
    now: () => new Date(),
    messageIdDomain: getConfig().messageIdDomain,
  });
  logger.info('quarantined message reprocessed', {
    mailboxId,
    sha256,
    status: result.status,
  });

  return jsonResponse(200, result);
}

function readLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError(
      'limit',
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`,
    );
  }

  return limit;
}

/**
 * Admin API for quarantined mail: list a mailbox's quarantine, and take a
 * message through the pipeline again (after a parser fix, or a raised
 * size limit).
 */
export const handler = apiHandler([
  { method: 'GET', path: '/quarantine', handler: listQuarantine },
  {
    method: 'POST',
    path: '/quarantine/{mailboxId}/{sha256}/reprocess',
    handler: reprocess,
  },
]);
