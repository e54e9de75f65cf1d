import { describe, expect, it } from 'vitest';
import { countBsmtpMessages } from '../../../scripts/bench/fetchmail.js';
import {
  buildLargeMessage,
  GENERATED_MESSAGE_BYTES,
  generateMessage,
} from '../../../scripts/bench/seed.js';

describe('generateMessage', () => {
  it('gives the same bytes for the same index and token', () => {
    expect(generateMessage(7, 'abc').equals(generateMessage(7, 'abc'))).toBe(
      true,
    );
  });

  it('gives each message its own Message-ID of about 20 KB', () => {
    const first = generateMessage(1, 'abc').toString('utf8');
    const second = generateMessage(2, 'abc').toString('utf8');
    const id = (text: string) => /^Message-ID: (.+)$/m.exec(text)?.[1];

    expect(id(first)).not.toBe(id(second));
    expect(first.length).toBeGreaterThan(GENERATED_MESSAGE_BYTES * 0.9);
    expect(first.length).toBeLessThan(GENERATED_MESSAGE_BYTES * 1.1);
  });

  it('makes every fifth message a reply to the fifth before it', () => {
    const reply = generateMessage(10, 'abc').toString('utf8');

    expect(reply).toContain('In-Reply-To: <bench-5.abc@example.com>');
  });
});

describe('buildLargeMessage', () => {
  it('reaches the asked size to within one base64 line', () => {
    const bytes = 1024 * 1024;

    const message = buildLargeMessage(bytes);

    expect(message.length).toBeLessThanOrEqual(bytes);
    expect(message.length).toBeGreaterThan(bytes - 80);
  });
});

describe('countBsmtpMessages', () => {
  it('counts lone dots and not dot-stuffed body lines', () => {
    const bsmtp = [
      'MAIL FROM:<a@example.com>',
      'DATA',
      '..not an end',
      '.',
      'MAIL FROM:<b@example.com>',
      'DATA',
      'body',
      '.',
      '',
    ].join('\r\n');

    expect(countBsmtpMessages(bsmtp)).toBe(2);
  });
});
