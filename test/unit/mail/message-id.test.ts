import { describe, expect, it } from 'vitest';
import {
  extractMessageIds,
  MAX_MESSAGE_ID_CHARS,
  normaliseMessageId,
} from '../../../functions/mail/message-id.js';

describe('normaliseMessageId', () => {
  it('takes the first bracketed id and keeps its case', () => {
    expect(normaliseMessageId('<One@X> <two@x>')).toBe('One@X');
  });

  it('removes whitespace folded into a bracketed id', () => {
    expect(normaliseMessageId('<very.long.id\r\n @example.com>')).toBe(
      'very.long.id@example.com',
    );
  });

  it('returns undefined for an empty or over-long id', () => {
    expect(normaliseMessageId('')).toBeUndefined();
    expect(normaliseMessageId('<>')).toBeUndefined();
    expect(
      normaliseMessageId(`<${'a'.repeat(MAX_MESSAGE_ID_CHARS)}@x>`),
    ).toBeUndefined();
  });
});

describe('extractMessageIds', () => {
  it('reads bare ids that hold an at sign when there are no brackets', () => {
    expect(extractMessageIds(['a@x, b@x  note'])).toEqual(['a@x', 'b@x']);
  });

  it('drops repeats compared case-insensitively, keeping the first', () => {
    expect(extractMessageIds(['<A@X>', '<a@x> <b@x>'])).toEqual(['A@X', 'b@x']);
  });
});
