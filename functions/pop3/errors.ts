import { TechmailError } from '../commons/errors.js';

/**
 * Response codes from RFC 2449 and RFC 3206 that say the failure is
 * temporary, so trying again later can succeed.
 */
const TRANSIENT_RESPONSE_CODES: ReadonlySet<string> = new Set([
  'SYS/TEMP',
  'IN-USE',
  'LOGIN-DELAY',
]);

/**
 * Node and OpenSSL error codes that mean the server's certificate was not
 * accepted. Retrying cannot help until someone fixes the server or the CA
 * bundle, so these are reported apart from other TLS failures.
 */
const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** How the connection failed, for callers that switch on it. */
export type Pop3NetworkErrorCode =
  | 'CONNECTION_REFUSED'
  | 'DNS'
  | 'UNREACHABLE'
  | 'CONNECTION_RESET'
  | 'CONNECTION_CLOSED'
  | 'CERTIFICATE'
  | 'TLS'
  | 'SESSION_CLOSED'
  | 'NETWORK';

/** Base class of every error raised by the POP3 client. */
export abstract class Pop3Error extends TechmailError {
  /** Whether the same operation may succeed if tried again later. */
  abstract readonly retryable: boolean;

  /**
   * @param message what failed and what to do next; never holds a secret
   * @param options the standard `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Pop3Error';
  }
}

/** The server refused the login (USER, PASS or AUTH answered `-ERR`). */
export class Pop3AuthError extends Pop3Error {
  readonly retryable: boolean;

  /**
   * @param responseCode the RFC 3206 code the server gave, e.g. `AUTH`,
   *   `SYS/TEMP` or `IN-USE`; `undefined` when it gave none
   * @param serverText the server's explanation, with any secret removed
   */
  constructor(
    readonly responseCode: string | undefined,
    readonly serverText: string,
  ) {
    const code = responseCode === undefined ? '' : ` [${responseCode}]`;
    super(
      `POP3 server rejected the login${code}: ${serverText}; check the account name and password`,
    );
    this.name = 'Pop3AuthError';
    this.retryable =
      responseCode !== undefined && TRANSIENT_RESPONSE_CODES.has(responseCode);
  }
}

/** Extra context for a {@link Pop3ProtocolError}. */
export interface Pop3ProtocolErrorDetails {
  /** RFC 2449 response code from a `-ERR` reply, if any. */
  readonly responseCode?: string;
  /** The server's reply text, with any secret removed. */
  readonly serverText?: string;
  /**
   * Overrides the default, which is retryable only for transient codes.
   * @default derived from `responseCode`
   */
  readonly retryable?: boolean;
  /** The error that led to this one. */
  readonly cause?: unknown;
}

/** The server answered `-ERR` or something POP3 does not allow. */
export class Pop3ProtocolError extends Pop3Error {
  readonly retryable: boolean;
  readonly responseCode: string | undefined;
  readonly serverText: string | undefined;

  /**
   * @param command the command name only (e.g. `RETR`, `PASS`), never its
   *   arguments
   * @param message what went wrong and what to do next
   * @param details response code, server text, retry hint and cause
   */
  constructor(
    readonly command: string,
    message: string,
    details: Pop3ProtocolErrorDetails = {},
  ) {
    super(
      message,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'Pop3ProtocolError';
    this.responseCode = details.responseCode;
    this.serverText = details.serverText;
    this.retryable =
      details.retryable ??
      (details.responseCode !== undefined &&
        TRANSIENT_RESPONSE_CODES.has(details.responseCode));
  }
}

/** The connection could not be made, or it broke while in use. */
export class Pop3NetworkError extends Pop3Error {
  readonly retryable: boolean;

  /**
   * @param code the kind of failure; `CERTIFICATE` when the server's
   *   certificate was refused
   * @param message what failed and what to do next
   * @param systemCode the underlying Node or OpenSSL code, e.g.
   *   `ECONNREFUSED` or `DEPTH_ZERO_SELF_SIGNED_CERT`
   * @param options the standard `cause`
   */
  constructor(
    readonly code: Pop3NetworkErrorCode,
    message: string,
    readonly systemCode?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'Pop3NetworkError';
    this.retryable = code !== 'CERTIFICATE' && code !== 'TLS';
  }
}

/** A command, the connect or the TLS handshake missed its deadline. */
export class Pop3TimeoutError extends Pop3Error {
  readonly retryable = true;

  /**
   * @param command the command name (never its arguments), or `CONNECT`
   * @param timeoutMs the deadline that passed
   */
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(
      `POP3 ${command} got no answer within ${timeoutMs} ms; the connection was dropped, try again later`,
    );
    this.name = 'Pop3TimeoutError';
  }
}

/**
 * Wraps a socket or TLS error in a {@link Pop3NetworkError}.
 * @param error what the socket emitted
 * @param endpoint `host:port`, named in the message
 * @returns the typed error, with the original as `cause`
 */
export function toPop3NetworkError(
  error: unknown,
  endpoint: string,
): Pop3NetworkError {
  const systemCode = readErrorCode(error);
  const code = classifyNetworkError(systemCode);
  const advice =
    code === 'CERTIFICATE'
      ? 'check the server certificate, its host name and the trusted CAs (NODE_EXTRA_CA_CERTS)'
      : 'check the server address, port and security setting, or try again later';

  return new Pop3NetworkError(
    code,
    `POP3 connection to ${endpoint} failed (${systemCode ?? 'unknown error'}); ${advice}`,
    systemCode,
    { cause: error },
  );
}

function readErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) {
    return undefined;
  }

  return typeof error.code === 'string' ? error.code : undefined;
}

function classifyNetworkError(
  systemCode: string | undefined,
): Pop3NetworkErrorCode {
  if (systemCode === undefined) return 'NETWORK';
  if (CERTIFICATE_ERROR_CODES.has(systemCode)) return 'CERTIFICATE';
  if (systemCode.startsWith('ERR_SSL') || systemCode.startsWith('ERR_TLS')) {
    return 'TLS';
  }
  switch (systemCode) {
    case 'ECONNREFUSED':
      return 'CONNECTION_REFUSED';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'CONNECTION_RESET';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'UNREACHABLE';
    default:
      return 'NETWORK';
  }
}
