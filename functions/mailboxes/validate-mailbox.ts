import { ValidationError } from '../commons/errors.js';
import type { Pop3Security } from '../model.js';
import type { MailboxPatch } from '../store/ports.js';
import {
  defaultMailSettings,
  MAIL_SETTING_FIELDS,
  type MailSettings,
  readMailSettings,
} from './mail-settings.js';

/** Default per-message size limit, as the large help desks use. */
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** Smallest size limit an admin may set: a message's headers need room. */
export const MIN_MAX_MESSAGE_BYTES = 1024;

/** Largest size limit an admin may set (a Lambda run holds one message). */
export const MAX_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** Longest accepted text field (names, hosts, accounts). */
export const MAX_TEXT_LENGTH = 255;

/** Longest accepted password. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Highest TCP port. */
export const MAX_POP_PORT = 65_535;

/** The accepted `security` values. */
export const SECURITY_VALUES: readonly Pop3Security[] = [
  'tls',
  'starttls',
  'none',
];

const DEFAULT_PORTS: Record<Pop3Security, number> = {
  tls: 995,
  starttls: 110,
  none: 110,
};

/** Host names and IP literals; no URLs, paths or whitespace. */
const HOST_PATTERN =
  /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

/**
 * Every field a mailbox body may carry, in POST and PATCH alike. The API
 * Gateway body schemas (`lib/mailbox-schemas.ts`) are built from this list
 * and the limits above, so the edge and the function cannot drift apart.
 */
export const MAILBOX_FIELDS = [
  'name',
  'popServer',
  'popPort',
  'security',
  'popAccount',
  'password',
  'interfaceId',
  'enabled',
  'leaveOnServer',
  'maxMessageBytes',
  ...MAIL_SETTING_FIELDS,
] as const;

/** A field of a mailbox body. */
export type MailboxField = (typeof MAILBOX_FIELDS)[number];

const CREATE_FIELDS: ReadonlySet<string> = new Set(MAILBOX_FIELDS);

/** A checked `POST /mailboxes` body. */
export interface MailboxInput extends MailSettings {
  name: string;
  popServer: string;
  popPort: number;
  security: Pop3Security;
  popAccount: string;
  password: string;
  interfaceId: string;
  enabled: boolean;
  leaveOnServer: boolean;
  maxMessageBytes: number;
}

/**
 * Checks a `POST /mailboxes` body and fills in defaults: security `tls` on
 * port 995; plaintext only when `security: "none"` is asked for; the mail
 * settings of `mail-settings.ts`.
 *
 * @param body the parsed JSON body
 * @returns the mailbox input
 * @throws ValidationError naming the first field that is wrong
 */
export function validateNewMailbox(
  body: Record<string, unknown>,
): MailboxInput {
  rejectUnknown(body, CREATE_FIELDS);
  const security = optionalSecurity(body.security) ?? 'tls';
  const popAccount = requiredText(body, 'popAccount');

  return {
    name: requiredText(body, 'name'),
    popServer: host(body, 'popServer'),
    popPort: optionalPort(body.popPort) ?? DEFAULT_PORTS[security],
    security,
    popAccount,
    password: password(body.password),
    interfaceId: optionalText(body, 'interfaceId') ?? 'default',
    enabled: optionalBoolean(body, 'enabled') ?? true,
    leaveOnServer: optionalBoolean(body, 'leaveOnServer') ?? false,
    maxMessageBytes:
      optionalSize(body.maxMessageBytes) ?? DEFAULT_MAX_MESSAGE_BYTES,
    ...defaultMailSettings(popAccount),
    ...readMailSettings(body),
  };
}

/**
 * Checks a `PATCH /mailboxes/{id}` body.
 *
 * @param body the parsed JSON body
 * @returns the changes and, separately, a new password if one was sent
 * @throws ValidationError naming the first field that is wrong
 */
export function validateMailboxPatch(body: Record<string, unknown>): {
  patch: MailboxPatch;
  password?: string;
} {
  rejectUnknown(body, CREATE_FIELDS);
  const patch: MailboxPatch = {
    name: has(body, 'name') ? requiredText(body, 'name') : undefined,
    popServer: has(body, 'popServer') ? host(body, 'popServer') : undefined,
    popPort: optionalPort(body.popPort),
    security: optionalSecurity(body.security),
    popAccount: has(body, 'popAccount')
      ? requiredText(body, 'popAccount')
      : undefined,
    interfaceId: optionalText(body, 'interfaceId'),
    enabled: optionalBoolean(body, 'enabled'),
    leaveOnServer: optionalBoolean(body, 'leaveOnServer'),
    maxMessageBytes: optionalSize(body.maxMessageBytes),
    ...readMailSettings(body),
  };
  if (patch.security && patch.popPort === undefined) {
    patch.popPort = DEFAULT_PORTS[patch.security];
  }
  const changes = Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as MailboxPatch;
  const newPassword = has(body, 'password')
    ? password(body.password)
    : undefined;
  if (Object.keys(changes).length === 0 && newPassword === undefined) {
    throw new ValidationError(
      'body',
      'body changes nothing: send at least one field',
    );
  }

  return { patch: changes, password: newPassword };
}

function has(body: Record<string, unknown>, field: string): boolean {
  return body[field] !== undefined;
}

function rejectUnknown(
  body: Record<string, unknown>,
  known: ReadonlySet<string>,
): void {
  const unknown = Object.keys(body).find((key) => !known.has(key));
  if (unknown !== undefined) {
    throw new ValidationError(
      unknown,
      `${unknown} is not a mailbox field; accepted fields: ${[...known].join(', ')}`,
    );
  }
}

function requiredText(body: Record<string, unknown>, field: string): string {
  const value = optionalText(body, field);
  if (value === undefined) {
    throw new ValidationError(field, `${field} is required`);
  }

  return value;
}

function optionalText(
  body: Record<string, unknown>,
  field: string,
): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(field, `${field} must be a non-empty string`);
  }
  if (value.length > MAX_TEXT_LENGTH || /[\r\n\0]/.test(value)) {
    throw new ValidationError(
      field,
      `${field} must be one line of at most ${MAX_TEXT_LENGTH} characters`,
    );
  }

  return value.trim();
}

function host(body: Record<string, unknown>, field: string): string {
  const value = requiredText(body, field);
  if (!HOST_PATTERN.test(value)) {
    throw new ValidationError(
      field,
      `${field} must be a host name or IP address, such as pop.example.com`,
    );
  }

  return value;
}

function password(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError('password', 'password is required');
  }
  if (value.length > MAX_PASSWORD_LENGTH || /[\r\n\0]/.test(value)) {
    throw new ValidationError(
      'password',
      `password must be one line of at most ${MAX_PASSWORD_LENGTH} characters`,
    );
  }

  return value;
}

function optionalBoolean(
  body: Record<string, unknown>,
  field: string,
): boolean | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new ValidationError(field, `${field} must be true or false`);
  }

  return value;
}

function optionalSecurity(value: unknown): Pop3Security | undefined {
  if (value === undefined) return undefined;
  if (!SECURITY_VALUES.includes(value as Pop3Security)) {
    throw new ValidationError(
      'security',
      `security must be one of ${SECURITY_VALUES.join(', ')}`,
    );
  }

  return value as Pop3Security;
}

function optionalPort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (
    !Number.isInteger(value) ||
    (value as number) < 1 ||
    (value as number) > MAX_POP_PORT
  ) {
    throw new ValidationError(
      'popPort',
      `popPort must be an integer from 1 to ${MAX_POP_PORT}`,
    );
  }

  return value as number;
}

function optionalSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (
    !Number.isInteger(value) ||
    (value as number) < MIN_MAX_MESSAGE_BYTES ||
    (value as number) > MAX_MAX_MESSAGE_BYTES
  ) {
    throw new ValidationError(
      'maxMessageBytes',
      `maxMessageBytes must be an integer from ${MIN_MAX_MESSAGE_BYTES} to ${MAX_MAX_MESSAGE_BYTES}`,
    );
  }

  return value as number;
}
