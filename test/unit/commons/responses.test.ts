import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../../../functions/commons/http/responses.js';

describe('jsonResponse', () => {
  it('replaces lone surrogates so strict JSON parsers accept the body', () => {
    const subject = `broken ${String.fromCharCode(0xd800)} subject`;

    const { body } = jsonResponse(200, { items: [{ subject }] });

    expect(body).not.toMatch(/\\ud800/i);
    expect(JSON.parse(body)).toEqual({
      items: [{ subject: 'broken \uFFFD subject' }],
    });
  });

  it('keeps well-formed text, emoji included, as it is', () => {
    const { body } = jsonResponse(200, { text: 'Grüße 😀' });

    expect(JSON.parse(body)).toEqual({ text: 'Grüße 😀' });
  });
});
