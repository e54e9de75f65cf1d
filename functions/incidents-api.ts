import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from './commons/http/api-handler.js';
import { pathParameter, sha256Parameter } from './commons/http/request.js';
import { jsonResponse, redirectResponse } from './commons/http/responses.js';
import { getAttachmentLink } from './incidents/download-links.js';
import {
  getIncidentWithThread,
  parseIncidentQuery,
} from './incidents/incident-queries.js';
import { createStores } from './store/index.js';

const stores = createStores();

async function listIncidents(event: APIGatewayProxyEvent) {
  const query = parseIncidentQuery(event.queryStringParameters);

  return jsonResponse(200, await stores.incidents.listIncidents(query));
}

async function getIncident(event: APIGatewayProxyEvent) {
  const referenceNumber = pathParameter(event, 'referenceNumber');
  const incident = await getIncidentWithThread(
    stores.incidents,
    stores,
    referenceNumber,
  );

  return jsonResponse(200, incident);
}

async function getAttachment(event: APIGatewayProxyEvent) {
  const referenceNumber = pathParameter(event, 'referenceNumber');
  const sha256 = sha256Parameter(event, 'sha256');
  const url = await getAttachmentLink(
    stores.incidents,
    stores.links,
    referenceNumber,
    sha256,
  );

  return redirectResponse(url);
}

/**
 * Agents' read API: incidents newest first, one with its thread, and
 * redirects to its attachments' bytes.
 */
export const handler = apiHandler([
  { method: 'GET', path: '/incidents', handler: listIncidents },
  {
    method: 'GET',
    path: '/incidents/{referenceNumber}',
    handler: getIncident,
  },
  {
    method: 'GET',
    path: '/incidents/{referenceNumber}/attachments/{sha256}',
    handler: getAttachment,
  },
]);
