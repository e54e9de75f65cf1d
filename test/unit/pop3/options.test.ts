import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_PIPELINE_WINDOW,
  type Pop3ConnectOptions,
  resolveOptions,
} from '../../../functions/pop3/options.js';

const BASE: Pop3ConnectOptions = {
  host: 'pop.example.org',
  username: 'alice',
  password: 's3cret',
};

describe('resolveOptions', () => {
  it('defaults to implicit TLS on port 995 with automatic login', () => {
    const options = resolveOptions(BASE);

    expect(options).toMatchObject({
      security: 'tls',
      port: 995,
      auth: 'auto',
      commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
      pipelineWindow: DEFAULT_PIPELINE_WINDOW,
    });
  });

  it('defaults to port 110 for starttls', () => {
    expect(resolveOptions({ ...BASE, security: 'starttls' }).port).toBe(110);
  });

  it('refuses a TLS option that would turn certificate checks off', () => {
    const options = {
      ...BASE,
      tls: { rejectUnauthorized: false },
    } as unknown as Pop3ConnectOptions;

    expect(() => resolveOptions(options)).toThrow(
      expect.objectContaining({ field: 'tls.rejectUnauthorized' }),
    );
  });

  it('refuses an unknown option', () => {
    const options = { ...BASE, timeout: 5 } as unknown as Pop3ConnectOptions;

    expect(() => resolveOptions(options)).toThrow(ValidationError);
  });

  it.each([
    ['username', { username: 'alice\r\nDELE 1' }],
    ['password', { password: '' }],
    ['port', { port: 70_000 }],
    ['pipelineWindow', { pipelineWindow: 0 }],
    ['commandTimeoutMs', { commandTimeoutMs: 1.5 }],
    ['security', { security: 'ssl' }],
  ])('names %s when its value is refused', (field, change) => {
    const options = { ...BASE, ...change } as Pop3ConnectOptions;

    expect(() => resolveOptions(options)).toThrow(
      expect.objectContaining({ field }),
    );
  });

  it('keeps the password out of the validation message', () => {
    const call = () => resolveOptions({ ...BASE, password: 'hunter2\n' });

    expect(call).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('hunter2'),
      }),
    );
  });
});
