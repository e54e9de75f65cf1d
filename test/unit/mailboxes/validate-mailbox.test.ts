import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import {
  DEFAULT_AUTO_REPLY_DETECTION,
  DEFAULT_FLOOD_LIMIT,
  DEFAULT_FLOOD_WINDOW_HOURS,
  DEFAULT_UPDATE_POLICY,
  MAX_ADDRESSES,
  MAX_FLOOD_LIMIT,
  MAX_FLOOD_WINDOW_HOURS,
} from '../../../functions/mailboxes/mail-settings.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_MAX_MESSAGE_BYTES,
  validateMailboxPatch,
  validateNewMailbox,
} from '../../../functions/mailboxes/validate-mailbox.js';

const VALID = {
  name: 'Support',
  popServer: 'pop.example.com',
  popAccount: 'support@example.com',
  password: 'correct horse',
};

/** Runs `validate` and returns the ValidationError it throws. */
function validationErrorOf(validate: () => unknown): ValidationError {
  try {
    validate();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('validate mailbox', () => {
  describe('validateNewMailbox', () => {
    it('fills in TLS on port 995 and the other defaults', () => {
      const input = validateNewMailbox({ ...VALID });

      expect(input).toEqual({
        ...VALID,
        security: 'tls',
        popPort: 995,
        interfaceId: 'default',
        enabled: true,
        leaveOnServer: false,
        maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
        addresses: ['support@example.com'],
        autoReplyDetection: DEFAULT_AUTO_REPLY_DETECTION,
        updatePolicy: DEFAULT_UPDATE_POLICY,
        floodLimit: DEFAULT_FLOOD_LIMIT,
        floodWindowHours: DEFAULT_FLOOD_WINDOW_HOURS,
      });
    });

    it('keeps no own address when the account is not an e-mail address', () => {
      const input = validateNewMailbox({ ...VALID, popAccount: 'support' });

      expect(input.addresses).toEqual([]);
    });

    it('keeps the mail settings sent, with addresses lower-cased once each', () => {
      const input = validateNewMailbox({
        ...VALID,
        addresses: [
          'Help@Example.com',
          'help@example.com',
          'sales@example.com',
        ],
        autoReplyDetection: 'aggressive',
        updatePolicy: 'contact',
        floodLimit: 0,
        floodWindowHours: MAX_FLOOD_WINDOW_HOURS,
      });

      expect(input).toMatchObject({
        addresses: ['help@example.com', 'sales@example.com'],
        autoReplyDetection: 'aggressive',
        updatePolicy: 'contact',
        floodLimit: 0,
        floodWindowHours: MAX_FLOOD_WINDOW_HOURS,
      });
    });

    it.each([
      ['starttls', 110],
      ['none', 110],
      ['tls', 995],
    ])(
      'uses port %s → %i when only the security is asked for',
      (security, port) => {
        const input = validateNewMailbox({ ...VALID, security });

        expect(input).toMatchObject({ security, popPort: port });
      },
    );

    it('keeps an explicit port and every optional field', () => {
      const input = validateNewMailbox({
        ...VALID,
        popPort: 1995,
        security: 'starttls',
        interfaceId: 'brand-b',
        enabled: false,
        leaveOnServer: true,
        maxMessageBytes: 2048,
      });

      expect(input).toMatchObject({
        popPort: 1995,
        security: 'starttls',
        interfaceId: 'brand-b',
        enabled: false,
        leaveOnServer: true,
        maxMessageBytes: 2048,
      });
    });

    it('trims text fields', () => {
      const input = validateNewMailbox({ ...VALID, name: '  Support  ' });

      expect(input.name).toBe('Support');
    });

    it.each([
      ['name', undefined],
      ['name', ''],
      ['name', '   '],
      ['name', 42],
      ['name', 'x'.repeat(256)],
      ['name', 'two\nlines'],
      ['popServer', undefined],
      ['popServer', 'https://pop.example.com'],
      ['popServer', 'pop example com'],
      ['popServer', 'pop.example.com/path'],
      ['popPort', 0],
      ['popPort', 65_536],
      ['popPort', 995.5],
      ['popPort', '995'],
      ['security', 'ssl'],
      ['security', 'TLS'],
      ['popAccount', undefined],
      ['popAccount', ''],
      ['popAccount', 'user\r\nDELE 1'],
      ['password', undefined],
      ['password', ''],
      ['password', 12345],
      ['password', 'x'.repeat(1025)],
      ['password', 'pass\r\nQUIT'],
      ['interfaceId', ''],
      ['interfaceId', 7],
      ['enabled', 'yes'],
      ['enabled', null],
      ['leaveOnServer', 1],
      ['maxMessageBytes', 1023],
      ['maxMessageBytes', MAX_MAX_MESSAGE_BYTES + 1],
      ['maxMessageBytes', 'big'],
      ['addresses', 'help@example.com'],
      ['addresses', ['not an address']],
      ['addresses', [42]],
      [
        'addresses',
        Array.from(
          { length: MAX_ADDRESSES + 1 },
          (_, i) => `a${i}@example.com`,
        ),
      ],
      ['autoReplyDetection', 'strong'],
      ['autoReplyDetection', true],
      ['updatePolicy', 'nobody'],
      ['floodLimit', -1],
      ['floodLimit', MAX_FLOOD_LIMIT + 1],
      ['floodLimit', 2.5],
      ['floodWindowHours', 0],
      ['floodWindowHours', MAX_FLOOD_WINDOW_HOURS + 1],
    ])('names %s when it is %j', (field, value) => {
      const body: Record<string, unknown> = { ...VALID, [field]: value };

      const error = validationErrorOf(() => validateNewMailbox(body));

      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });

    it('never puts the password in an error message', () => {
      const password = 's3cret-'.repeat(200);

      const error = validationErrorOf(() =>
        validateNewMailbox({ ...VALID, password }),
      );

      expect(error.message).not.toContain('s3cret');
    });

    it('rejects a field it does not know, naming it', () => {
      const error = validationErrorOf(() =>
        validateNewMailbox({ ...VALID, pasword: 'typo' }),
      );

      expect(error.field).toBe('pasword');
      expect(error.message).toContain('pasword');
    });

    it('rejects secretName, which only the service sets', () => {
      const error = validationErrorOf(() =>
        validateNewMailbox({ ...VALID, secretName: 'other/secret' }),
      );

      expect(error.field).toBe('secretName');
    });
  });

  describe('validateMailboxPatch', () => {
    it('returns only the fields sent', () => {
      const change = validateMailboxPatch({ name: 'Billing', enabled: false });

      expect(change).toEqual({
        patch: { name: 'Billing', enabled: false },
        password: undefined,
      });
    });

    it('separates a new password from the patch', () => {
      const change = validateMailboxPatch({ password: 'rotated' });

      expect(change).toEqual({ patch: {}, password: 'rotated' });
    });

    it('moves to the default port of a new security unless a port is sent', () => {
      const defaulted = validateMailboxPatch({ security: 'starttls' });
      const explicit = validateMailboxPatch({ security: 'tls', popPort: 1995 });

      expect(defaulted.patch).toEqual({ security: 'starttls', popPort: 110 });
      expect(explicit.patch).toEqual({ security: 'tls', popPort: 1995 });
    });

    it('accepts a change of the mail settings alone', () => {
      const change = validateMailboxPatch({
        updatePolicy: 'contact',
        floodWindowHours: 24,
      });

      expect(change.patch).toEqual({
        updatePolicy: 'contact',
        floodWindowHours: 24,
      });
    });

    it('refuses a body that changes nothing', () => {
      const error = validationErrorOf(() => validateMailboxPatch({}));

      expect(error.field).toBe('body');
    });

    it.each([
      ['name', null],
      ['name', ''],
      ['popServer', 'not a host'],
      ['popPort', null],
      ['security', 'plain'],
      ['password', ''],
      ['enabled', 'false'],
      ['id', 'other-id'],
      ['status', 'ok'],
      ['autoReplyDetection', 'OFF'],
      ['floodLimit', '20'],
    ])('names %s when it is %j', (field, value) => {
      const error = validationErrorOf(() =>
        validateMailboxPatch({ [field]: value }),
      );

      expect(error.field).toBe(field);
    });
  });
});
