/**
 * The mailbox settings that govern how mail is judged: its own addresses,
 * auto-reply detection, who may update incidents, and flood control. They
 * are checked here, and filled in for mailboxes stored before they existed.
 */
import { ValidationError } from '../commons/errors.js';
import type { AutoReplyDetection, Mailbox, UpdatePolicy } from '../model.js';

/** The settings this module owns. */
export type MailSettings = Pick<
  Mailbox,
  | 'addresses'
  | 'autoReplyDetection'
  | 'updatePolicy'
  | 'floodLimit'
  | 'floodWindowHours'
>;

/** Names of the settings, as accepted in API bodies. */
export const MAIL_SETTING_FIELDS: readonly (keyof MailSettings)[] = [
  'addresses',
  'autoReplyDetection',
  'updatePolicy',
  'floodLimit',
  'floodWindowHours',
];

/**
 * Acts on RFC 3834, vendor and Precedence headers and on mail-system
 * senders, but not on subjects alone: the level that keeps auto-replies out
 * without guessing from words a customer might write.
 */
export const DEFAULT_AUTO_REPLY_DETECTION: AutoReplyDetection = 'moderate';

/** Anyone quoting an incident may add to it, as mail users expect. */
export const DEFAULT_UPDATE_POLICY: UpdatePolicy = 'anyone';

/**
 * Messages one sender may send per window before the rest are suppressed.
 * A busy customer rarely writes more than a few a day; a mail loop or a
 * script sends hundreds.
 */
export const DEFAULT_FLOOD_LIMIT = 20;

/** Length of the flood window. */
export const DEFAULT_FLOOD_WINDOW_HOURS = 12;

/** Smallest flood limit accepted: 0 turns flood control off. */
export const MIN_FLOOD_LIMIT = 0;

/** Largest flood limit accepted. */
export const MAX_FLOOD_LIMIT = 10_000;

/** Shortest flood window: one hourly counter. */
export const MIN_FLOOD_WINDOW_HOURS = 1;

/** Longest flood window: a week of hourly counters read per message. */
export const MAX_FLOOD_WINDOW_HOURS = 168;

/** Most own addresses per mailbox; each is compared with every sender. */
export const MAX_ADDRESSES = 50;

/** RFC 5321's limit on the length of a forward path. */
export const MAX_ADDRESS_LENGTH = 254;

/** The accepted `autoReplyDetection` levels, least eager first. */
export const AUTO_REPLY_DETECTION_LEVELS: readonly AutoReplyDetection[] = [
  'off',
  'conservative',
  'moderate',
  'aggressive',
];

/** The accepted `updatePolicy` values. */
export const UPDATE_POLICIES: readonly UpdatePolicy[] = ['anyone', 'contact'];

/** local@domain without spaces, brackets or list separators. */
const ADDRESS_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * The defaults of a new mailbox; its own address is its POP3 account when
 * that is an e-mail address.
 *
 * @param popAccount the mailbox's POP3 account name
 * @returns every setting at its default
 */
export function defaultMailSettings(popAccount: string): MailSettings {
  const account = popAccount.trim().toLowerCase();

  return {
    addresses: ADDRESS_PATTERN.test(account) ? [account] : [],
    autoReplyDetection: DEFAULT_AUTO_REPLY_DETECTION,
    updatePolicy: DEFAULT_UPDATE_POLICY,
    floodLimit: DEFAULT_FLOOD_LIMIT,
    floodWindowHours: DEFAULT_FLOOD_WINDOW_HOURS,
  };
}

/**
 * Fills in the settings a stored mailbox lacks (one created before they
 * existed), leaving the ones it has.
 *
 * @param stored the mailbox as read from the store
 * @returns the mailbox with every setting present
 */
export function withMailSettings(
  stored: Omit<Mailbox, keyof MailSettings> & Partial<MailSettings>,
): Mailbox {
  const defaults = defaultMailSettings(stored.popAccount ?? '');
  const present = Object.fromEntries(
    Object.entries(stored).filter(([, value]) => value !== undefined),
  );

  return { ...defaults, ...present } as Mailbox;
}

/**
 * Checks the settings present in an API body.
 *
 * @param body the parsed JSON body
 * @returns the settings that were sent, checked and normalised
 * @throws ValidationError naming the first setting that is wrong
 */
export function readMailSettings(
  body: Record<string, unknown>,
): Partial<MailSettings> {
  const settings: Partial<MailSettings> = {
    addresses: optionalAddresses(body.addresses),
    autoReplyDetection: optionalChoice(
      body,
      'autoReplyDetection',
      AUTO_REPLY_DETECTION_LEVELS,
    ),
    updatePolicy: optionalChoice(body, 'updatePolicy', UPDATE_POLICIES),
    floodLimit: optionalInteger(
      body,
      'floodLimit',
      MIN_FLOOD_LIMIT,
      MAX_FLOOD_LIMIT,
    ),
    floodWindowHours: optionalInteger(
      body,
      'floodWindowHours',
      MIN_FLOOD_WINDOW_HOURS,
      MAX_FLOOD_WINDOW_HOURS,
    ),
  };

  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  );
}

function optionalAddresses(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_ADDRESSES) {
    throw new ValidationError(
      'addresses',
      `addresses must be a list of at most ${MAX_ADDRESSES} e-mail addresses`,
    );
  }
  const addresses = value.map((entry) => {
    const address = typeof entry === 'string' ? entry.trim() : '';
    if (address.length > MAX_ADDRESS_LENGTH || !ADDRESS_PATTERN.test(address)) {
      throw new ValidationError(
        'addresses',
        `addresses must hold e-mail addresses such as support@example.com; ${JSON.stringify(entry)} is not one`,
      );
    }

    return address.toLowerCase();
  });

  return [...new Set(addresses)];
}

function optionalChoice<T extends string>(
  body: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw new ValidationError(
      field,
      `${field} must be one of ${allowed.join(', ')}`,
    );
  }

  return value as T;
}

function optionalInteger(
  body: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (
    !Number.isInteger(value) ||
    (value as number) < min ||
    (value as number) > max
  ) {
    throw new ValidationError(
      field,
      `${field} must be an integer from ${min} to ${max}`,
    );
  }

  return value as number;
}
