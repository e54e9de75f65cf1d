import { describe, expect, it } from 'vitest';
import {
  Pop3AuthError,
  Pop3NetworkError,
  Pop3TimeoutError,
} from '../../../functions/pop3/errors.js';
import {
  describeFailure,
  LOGIN_FAILURE_CODES,
} from '../../../functions/techmail/mailbox-health.js';

describe('login failures among run failures', () => {
  it.each([
    [new Pop3AuthError('AUTH', 'invalid password'), 'LoginRejected'],
    [new Pop3AuthError('IN-USE', 'account locked'), 'LoginRejected'],
    [
      new Pop3NetworkError(
        'CERTIFICATE',
        'not trusted',
        'SELF_SIGNED_CERT_IN_CHAIN',
      ),
      'TlsRejected',
    ],
    [
      new Pop3NetworkError('TLS', 'handshake', 'ERR_SSL_WRONG_VERSION_NUMBER'),
      'TlsRejected',
    ],
    [
      new Pop3NetworkError('DNS', 'no such host', 'ENOTFOUND'),
      'ServerNotFound',
    ],
  ])('counts %s as a login failure with code %s', (error, code) => {
    const described = describeFailure(error);

    expect(described).toEqual({ code, message: error.message });
    expect(LOGIN_FAILURE_CODES.has(described.code)).toBe(true);
  });

  it.each([
    new Pop3NetworkError('CONNECTION_RESET', 'reset', 'ECONNRESET'),
    new Pop3TimeoutError('RETR', 30_000),
  ])('does not count %s, which can break any session, as one', (error) => {
    expect(LOGIN_FAILURE_CODES.has(describeFailure(error).code)).toBe(false);
  });
});
