import { describe, expect, it } from 'vitest';
import { TechmailError } from '../../../functions/commons/errors.js';
import {
  Pop3AuthError,
  Pop3Error,
  Pop3TimeoutError,
  toPop3NetworkError,
} from '../../../functions/pop3/errors.js';

const systemError = (code: string) =>
  Object.assign(new Error(`failure ${code}`), { code });

describe('toPop3NetworkError', () => {
  it.each([
    ['ECONNREFUSED', 'CONNECTION_REFUSED', true],
    ['ENOTFOUND', 'DNS', true],
    ['ECONNRESET', 'CONNECTION_RESET', true],
    ['EHOSTUNREACH', 'UNREACHABLE', true],
    ['CERT_HAS_EXPIRED', 'CERTIFICATE', false],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERTIFICATE', false],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLS', false],
    ['EWHATEVER', 'NETWORK', true],
  ])('classifies %s as %s', (systemCode, code, retryable) => {
    const cause = systemError(systemCode);

    const error = toPop3NetworkError(cause, 'pop.example.org:995');

    expect(error).toMatchObject({ code, systemCode, retryable, cause });
    expect(error.message).toContain('pop.example.org:995');
  });

  it('classifies an error without code as NETWORK', () => {
    expect(toPop3NetworkError(new Error('x'), 'h:1').code).toBe('NETWORK');
  });
});

describe('Pop3Error', () => {
  it('is the base of every POP3 error and a TechmailError', () => {
    const errors = [
      new Pop3AuthError('AUTH', 'no'),
      new Pop3TimeoutError('RETR', 100),
      toPop3NetworkError(systemError('ECONNRESET'), 'h:1'),
    ];

    for (const error of errors) {
      expect(error).toBeInstanceOf(Pop3Error);
      expect(error).toBeInstanceOf(TechmailError);
    }
  });

  it('marks a login refused without response code as not retryable', () => {
    expect(new Pop3AuthError(undefined, 'no').retryable).toBe(false);
  });

  it('marks a login refused with [SYS/TEMP] as retryable', () => {
    expect(new Pop3AuthError('SYS/TEMP', 'later').retryable).toBe(true);
  });
});
