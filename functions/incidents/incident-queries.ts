import { NotFoundError, ValidationError } from '../commons/errors.js';
import type { Incident, IncidentStatus } from '../model.js';
import type { IncidentQuery, IncidentStore } from '../store/ports.js';
import {
  type EntryBodyStores,
  type EntryView,
  presentEntries,
} from './entry-bodies.js';

/** Page size when the client asks for none. */
export const DEFAULT_PAGE_SIZE = 25;

/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 100;

const STATUSES: readonly IncidentStatus[] = ['new', 'updated', 'closed'];

const QUERY_FIELDS = new Set([
  'mailboxId',
  'interfaceId',
  'status',
  'limit',
  'nextToken',
]);

/** An incident with its thread, oldest entry first. */
export interface IncidentWithThread extends Incident {
  entries: EntryView[];
}

/**
 * Checks the query string of `GET /incidents`.
 *
 * @param params the query string parameters
 * @returns the store query
 * @throws ValidationError naming the parameter that is wrong
 */
export function parseIncidentQuery(
  params: Record<string, string | undefined> | null,
): IncidentQuery {
  const query = params ?? {};
  const unknown = Object.keys(query).find((key) => !QUERY_FIELDS.has(key));
  if (unknown !== undefined) {
    throw new ValidationError(
      unknown,
      `${unknown} is not a filter; use ${[...QUERY_FIELDS].join(', ')}`,
    );
  }
  const status = query.status;
  if (status !== undefined && !STATUSES.includes(status as IncidentStatus)) {
    throw new ValidationError(
      'status',
      `status must be one of ${STATUSES.join(', ')}`,
    );
  }

  return {
    mailboxId: query.mailboxId || undefined,
    interfaceId: query.interfaceId || undefined,
    status: status as IncidentStatus | undefined,
    limit: parseLimit(query.limit),
    nextToken: query.nextToken || undefined,
  };
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const limit = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    throw new ValidationError(
      'limit',
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`,
    );
  }

  return limit;
}

/**
 * One incident with its thread entries, within the response size a Lambda
 * can return (see `presentEntries`).
 *
 * @param store the incident store
 * @param bodies where bodies too large for the response are kept, and
 *   the signer of links to them
 * @param referenceNumber the incident's `YYMMDD-NNNNNN`
 * @returns the incident and its entries
 * @throws NotFoundError when there is no such incident
 */
export async function getIncidentWithThread(
  store: IncidentStore,
  bodies: EntryBodyStores,
  referenceNumber: string,
): Promise<IncidentWithThread> {
  const incident = await store.getIncident(referenceNumber);
  if (!incident) throw new NotFoundError('incident', referenceNumber);
  const entries = await store.listEntries(referenceNumber);

  return {
    ...incident,
    entries: await presentEntries(referenceNumber, entries, bodies),
  };
}
