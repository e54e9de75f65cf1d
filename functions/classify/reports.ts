/**
 * Machine-readable reports about mail: delivery status notifications
 * (RFC 3464), disposition notifications (RFC 8098), abuse feedback reports
 * (ARF, RFC 5965), and Amazon SES notifications sent by e-mail. Their
 * structure says what they are, so they are recognised at every detection
 * level.
 */
import type { ParsedMessage } from '../mail/parse-message.js';
import { mediaParameter, mediaType, readFieldBlock } from './header-fields.js';

/**
 * Longest text body read as an SES notification. Real ones are a few
 * kilobytes of JSON; the cap bounds JSON.parse on hostile input.
 */
export const MAX_SES_NOTIFICATION_CHARS = 256 * 1024;

/** What a report is, and the structure that showed it. */
export interface Report {
  readonly kind: 'bounce' | 'delivery-report' | 'abuse-report';
  /** e.g. `delivery-status`, `feedback-report`, `ses-bounce`. */
  readonly signal: string;
}

/** DSN actions (RFC 3464 §2.3.3) that report success. */
const SUCCESS_ACTIONS: ReadonlySet<string> = new Set([
  'delivered',
  'relayed',
  'expanded',
]);

const DELIVERY_STATUS_PARTS: ReadonlySet<string> = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
]);

const DISPOSITION_PARTS: ReadonlySet<string> = new Set([
  'message/disposition-notification',
  'message/global-disposition-notification',
]);

const SES_KINDS: ReadonlyMap<string, Report> = new Map([
  ['bounce', { kind: 'bounce', signal: 'ses-bounce' }],
  ['complaint', { kind: 'abuse-report', signal: 'ses-complaint' }],
  ['delivery', { kind: 'delivery-report', signal: 'ses-delivery' }],
]);

/**
 * Recognises a report by its MIME structure or SES format.
 *
 * @param parsed the message
 * @returns the report, or undefined for any other message
 */
export function findReport(parsed: ParsedMessage): Report | undefined {
  const contentType = parsed.headers.get('content-type')?.[0] ?? '';
  const isReport = mediaType(contentType) === 'multipart/report';
  const reportType = isReport
    ? mediaParameter(contentType, 'report-type')
    : undefined;
  const partTypes = new Set(parsed.attachments.map((a) => a.contentType));
  const hasPart = (types: ReadonlySet<string>) =>
    [...types].some((type) => partTypes.has(type));

  if (
    reportType === 'feedback-report' ||
    partTypes.has('message/feedback-report')
  ) {
    return { kind: 'abuse-report', signal: 'feedback-report' };
  }
  if (reportType === 'delivery-status' || hasPart(DELIVERY_STATUS_PARTS)) {
    return deliveryStatus(parsed);
  }
  if (reportType === 'disposition-notification' || hasPart(DISPOSITION_PARTS)) {
    return { kind: 'delivery-report', signal: 'disposition-notification' };
  }
  if (isReport) {
    // RFC 6522 reserves multipart/report for mail system reports; one
    // without a known report-type is still no person's mail, and in
    // practice it is a non-delivery report from a nonconforming MTA.
    return { kind: 'bounce', signal: 'multipart-report' };
  }

  return sesNotification(parsed);
}

/**
 * A DSN whose every recipient was delivered, relayed or expanded is a
 * success report; any failure or delay, or no readable action, is a bounce
 * (a delay tells the agent the reply has not arrived yet).
 */
function deliveryStatus(parsed: ParsedMessage): Report {
  const actions = parsed.attachments
    .filter((part) => DELIVERY_STATUS_PARTS.has(part.contentType))
    .flatMap(
      (part) =>
        readFieldBlock(part.content.toString('latin1')).get('action') ?? [],
    )
    .map((action) => (action.split(/[\s(;]/)[0] ?? '').toLowerCase());
  const succeeded =
    actions.length > 0 &&
    actions.every((action) => SUCCESS_ACTIONS.has(action));

  return succeeded
    ? { kind: 'delivery-report', signal: 'delivery-status-success' }
    : { kind: 'bounce', signal: 'delivery-status' };
}

/**
 * Amazon SES sends bounce, complaint and delivery notifications through
 * SNS as e-mail whose text is one line of JSON; SNS marks the message with
 * `x-amz-sns-message-id`. Other SNS mail (alarms, for instance) is not a
 * report and stays ordinary.
 */
function sesNotification(parsed: ParsedMessage): Report | undefined {
  if (!parsed.headers.has('x-amz-sns-message-id')) return undefined;
  const text = parsed.text.trimStart();
  if (!text.startsWith('{') || text.length > MAX_SES_NOTIFICATION_CHARS) {
    return undefined;
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  let body: unknown;
  try {
    body = JSON.parse(firstLine);
  } catch {
    return undefined;
  }
  const fields = (body ?? {}) as Record<string, unknown>;
  const type = fields.notificationType ?? fields.eventType;

  return typeof type === 'string'
    ? SES_KINDS.get(type.toLowerCase())
    : undefined;
}
