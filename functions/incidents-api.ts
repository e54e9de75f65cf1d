import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from './commons/http/api-handler.js';
import { pathParameter } from './commons/http/request.js';
import { jsonResponse } from './commons/http/responses.js';
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
    stores.blobs,
    referenceNumber,
  );

  return jsonResponse(200, incident);
}

/** Agents' read API: incidents newest first, and one with its thread. */
export const handler = apiHandler([
  { method: 'GET', path: '/incidents', handler: listIncidents },
  {
    method: 'GET',
    path: '/incidents/{referenceNumber}',
    handler: getIncident,
  },
]);
