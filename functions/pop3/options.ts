import { ValidationError } from '../commons/errors.js';
import type { Pop3TlsOptions } from './transport.js';

/** Deadline for each command's reply, and for the greeting. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** Deadline for the TCP connect plus the TLS handshake. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Commands kept in flight when the server advertises PIPELINING. */
export const DEFAULT_PIPELINE_WINDOW = 16;

/**
 * Upper bound of `pipelineWindow`. Every in-flight RETR may leave a whole
 * message buffered, so a large window multiplies memory use.
 */
export const MAX_PIPELINE_WINDOW = 256;

/**
 * Largest multi-line reply (one message) read into memory. Blocks a server
 * that streams an endless body from exhausting the Lambda's memory; check
 * LIST sizes to skip bigger messages before RETR.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** How the connection is protected. */
export type Pop3Security = 'tls' | 'starttls' | 'none';

/** How to log in. */
export type Pop3AuthMethod = 'auto' | 'user' | 'plain';

/** Options of {@link Pop3Session.connect}. */
export interface Pop3ConnectOptions {
  /** Server host name or IP address. */
  readonly host: string;
  /**
   * Server port.
   * @default 995 for `tls`, 110 for `starttls` and `none`
   */
  readonly port?: number;
  /**
   * `tls` is implicit TLS, `starttls` upgrades with STLS and fails when the
   * server lacks it, `none` sends everything (the password too) in clear.
   * @default 'tls'
   */
  readonly security?: Pop3Security;
  /** Account name. */
  readonly username: string;
  /** Account password; never put in an error. */
  readonly password: string;
  /**
   * `auto` uses SASL PLAIN when CAPA lists it and USER/PASS otherwise.
   * @default 'auto'
   */
  readonly auth?: Pop3AuthMethod;
  /**
   * Deadline of each reply, counted from when it is the next one due, so
   * commands queued behind a pipelined RETR do not share its time.
   * @default DEFAULT_COMMAND_TIMEOUT_MS
   */
  readonly commandTimeoutMs?: number;
  /**
   * Deadline of the connect and of each TLS handshake.
   * @default DEFAULT_CONNECT_TIMEOUT_MS
   */
  readonly connectTimeoutMs?: number;
  /**
   * Commands in flight when the server advertises PIPELINING; 1 otherwise.
   * @default DEFAULT_PIPELINE_WINDOW
   */
  readonly pipelineWindow?: number;
  /**
   * Largest multi-line reply accepted.
   * @default DEFAULT_MAX_RESPONSE_BYTES
   */
  readonly maxResponseBytes?: number;
  /**
   * TLS settings; certificate checks stay on.
   * @default Node's defaults plus `NODE_EXTRA_CA_CERTS`
   */
  readonly tls?: Pop3TlsOptions;
}

/** {@link Pop3ConnectOptions} with every default filled in. */
export type ResolvedPop3Options = Required<Omit<Pop3ConnectOptions, 'tls'>> &
  Pick<Pop3ConnectOptions, 'tls'>;

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'host',
  'port',
  'security',
  'username',
  'password',
  'auth',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'pipelineWindow',
  'maxResponseBytes',
  'tls',
]);

// Only these pass through to node:tls; anything else, rejectUnauthorized
// above all, is refused rather than silently weakening the checks.
const TLS_OPTION_NAMES: ReadonlySet<string> = new Set([
  'ca',
  'servername',
  'minVersion',
]);

/**
 * Checks connect options and fills in defaults.
 * @param options what the caller passed
 * @returns the complete options
 * @throws {ValidationError} naming the first field that is wrong
 */
export function resolveOptions(
  options: Pop3ConnectOptions,
): ResolvedPop3Options {
  assertKnownKeys(options, OPTION_NAMES, '');
  assertKnownKeys(options.tls ?? {}, TLS_OPTION_NAMES, 'tls.');
  const security = options.security ?? 'tls';
  assertOneOf('security', security, ['tls', 'starttls', 'none']);
  const auth = options.auth ?? 'auto';
  assertOneOf('auth', auth, ['auto', 'user', 'plain']);
  assertText('host', options.host);
  assertText('username', options.username);
  assertText('password', options.password);

  const resolved = {
    ...options,
    security,
    auth,
    port: options.port ?? (security === 'tls' ? 995 : 110),
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    pipelineWindow: options.pipelineWindow ?? DEFAULT_PIPELINE_WINDOW,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
  assertInteger('port', resolved.port, 1, 65_535);
  assertInteger('commandTimeoutMs', resolved.commandTimeoutMs, 1);
  assertInteger('connectTimeoutMs', resolved.connectTimeoutMs, 1);
  assertInteger(
    'pipelineWindow',
    resolved.pipelineWindow,
    1,
    MAX_PIPELINE_WINDOW,
  );
  assertInteger('maxResponseBytes', resolved.maxResponseBytes, 1);

  return resolved;
}

function assertKnownKeys(
  value: object,
  allowed: ReadonlySet<string>,
  prefix: string,
): void {
  const unknown = Object.keys(value).find((key) => !allowed.has(key));
  if (unknown !== undefined) {
    throw new ValidationError(
      `${prefix}${unknown}`,
      `POP3 option ${prefix}${unknown} is not supported; allowed: ${[...allowed].join(', ')}`,
    );
  }
}

function assertOneOf(field: string, value: string, allowed: string[]): void {
  if (!allowed.includes(value)) {
    throw new ValidationError(
      field,
      `POP3 option ${field} must be one of ${allowed.join(', ')}`,
    );
  }
}

function assertText(field: string, value: unknown): void {
  // CR, LF or NUL would end the command line early and let the rest of the
  // value be sent as a second command.
  if (typeof value !== 'string' || value === '' || /[\r\n\0]/.test(value)) {
    throw new ValidationError(
      field,
      `POP3 option ${field} must be a non-empty string without CR, LF or NUL`,
    );
  }
}

/**
 * Checks an integer option or argument.
 * @param field the name used in the error
 * @param value the value to check
 * @param min smallest value allowed
 * @param max largest value allowed
 * @throws {ValidationError} unless `value` is a safe integer in range
 */
export function assertInteger(
  field: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(
      field,
      `POP3 ${field} must be an integer from ${min} to ${max}`,
    );
  }
}
