import { describe, expect, it } from 'vitest';
import {
  type ParsedMessage,
  parseMessage,
} from '../../../functions/mail/parse-message.js';
import {
  type CorpusExpectation,
  type CorpusMessage,
  loadCorpus,
} from '../../support/corpus.js';

/** Sources whose expectations say what a parser should read. */
const SOURCES = ['zammad', 'php-mime-mail-parser', 'stalwart-mail-parser'];

/** Share of checked fields that must match, over all sources and fields. */
const MIN_MATCHED_SHARE = 0.99;

type Field = 'subject' | 'sender' | 'attachments';

/** What the message really holds, where an upstream value is a quirk. */
interface Truth extends CorpusExpectation {
  /** Why the upstream value is not the truth. */
  readonly why: string;
}

/**
 * Per-fixture truth, compared instead of the upstream value for the fields
 * it names (the others keep the upstream value). An attachment's filename
 * is null when the message gives the part no name.
 */
const TRUTH: Readonly<Record<string, Truth>> = {
  'zammad/mail008.box': {
    attachments: [{ filename: null, size: 4157 }],
    why: 'Zammad lists no attachment; the multipart/related holds an unnamed image/gif the HTML shows by cid',
  },
  'zammad/mail014.box': {
    attachments: [
      { filename: null, size: 1808 },
      { filename: null, size: 2380 },
    ],
    why: 'the two attached messages have no file name (Zammad names them after their subjects) and are 1808 and 2380 bytes with their CRLF line ends (Zammad stores them with LF)',
  },
  'zammad/mail018.box': {
    subject:
      'Benachrichtung  \tzum  \t=?unicode-1-1-utf-7?Q?+ANw-bermittlungsstatus  \t(Fehlgeschlagen)?=',
    attachments: [
      { filename: null, size: 350 },
      { filename: null, size: 2312 },
    ],
    why: 'the subject unfolds to this (RFC 5322 2.2.3 keeps the tabs), and with blanks inside "=?...?=" is no encoded word (RFC 2047 5), which Zammad half-decodes; Zammad lists neither the message/delivery-status part nor the returned message',
  },
  'zammad/mail038.box': {
    attachments: [{ filename: 'signature.asc', size: 859 }],
    why: 'Zammad lists no attachment; the PGP/MIME signature is a part of its own',
  },
  'zammad/mail040.box': {
    attachments: [{ filename: 'smime.p7s', size: 3559 }],
    why: 'Zammad lists no attachment; the S/MIME signature is a part of its own',
  },
  'zammad/mail042.box': {
    attachments: [
      { filename: null, size: 12 },
      { filename: 'encrypted.asc', size: 2295 },
    ],
    why: 'Zammad lists no attachment; multipart/encrypted holds a control part and the ciphertext, neither of which can be shown as text',
  },
  'zammad/mail051.box': {
    attachments: [{ filename: 'super-seven.jpg', size: 50606 }],
    why: 'Zammad lists no attachment; the HTML shows this inline image by cid',
  },
  'zammad/mail057.box': {
    attachments: [
      { filename: 'Hofj\u00e4geralle Wasserschaden.jpg', size: 50606 },
    ],
    why: 'Zammad lists no attachment; the message attaches this image (its name in raw Latin-1)',
  },
  'zammad/mail069.box': {
    attachments: [{ filename: null, size: 184074 }],
    why: 'the attached message has no file name; Zammad names it after its subject',
  },
  'zammad/mail073.box': {
    attachments: [
      { filename: 'Bestellbest\u00e4tigung_BK18052795.jpg', size: 50606 },
      { filename: 'Forex Platte ohne W\u00f6lbung.jpg', size: 50608 },
    ],
    why: 'the RFC 2231 name says us-ascii but holds %F6, Latin-1 for \u00f6; Zammad shows U+FFFD',
  },
  'zammad/mail076.box': {
    from: { address: '"millions lottery spain transfer"@example.com' },
    why: 'the From header is a quoted local part with a stray ">" after it and no display name; Zammad makes a display name of it and keeps the ">"',
  },
  'zammad/mail080.box': {
    attachments: [{ filename: null, size: 50606 }],
    why: 'the file name is an empty encoded word; Zammad invents "image.jpg"',
  },
  'zammad/mail100.box': {
    attachments: [
      { filename: 'ITN21A07-000089.jpg', size: 50606 },
      { filename: null, size: 50606 },
      { filename: null, size: 50606 },
    ],
    why: 'the second and third images have no name; Zammad invents names from the Content-ID and the type',
  },
  'stalwart-mail-parser/rfc/000.eml': {
    attachments: [
      { filename: null, size: 45 },
      { filename: null, size: 22 },
      { filename: null, size: 145 },
      { filename: null, size: 230 },
    ],
    why: 'the audio and image parts are prose labelled base64; decoding skips what is not base64 (RFC 2045 6.8), where mail-parser keeps the prose',
  },
  'stalwart-mail-parser/thirdparty/002.eml': {
    attachments: [],
    why: 'the third part is an unnamed inline text/plain, so it is body text (RFC 2046 5.1.3); mail-parser lists text parts it could not decode as attachments',
  },
  'stalwart-mail-parser/malformed/001.eml': {
    attachments: [],
    why: 'the outer delimiter closes the inner multipart (RFC 2046 5.1.2), leaving one inline text part and no attachment; mail-parser keeps the inner boundary open',
  },
  'stalwart-mail-parser/malformed/003.eml': {
    attachments: [],
    why: 'the only leaf is an unnamed inline text/plain, body text by RFC 2046 5.1.3; mail-parser lists it as an attachment',
  },
  'stalwart-mail-parser/malformed/004.eml': {
    attachments: [],
    why: '"--ab" and "--ac" are no delimiters of boundary "a" (RFC 2046 5.1.1 allows only blanks after it), so all is preamble; mail-parser matches boundary prefixes',
  },
  'stalwart-mail-parser/malformed/006.eml': {
    attachments: [],
    why: 'the only leaf is an unnamed inline text/plain, body text by RFC 2046 5.1.3; mail-parser lists it as an attachment',
  },
  'stalwart-mail-parser/malformed/007.eml': {
    attachments: [],
    why: 'the parts are empty inline text; there is nothing to attach',
  },
  'stalwart-mail-parser/malformed/012.eml': {
    attachments: [
      { filename: null, size: 29 },
      { filename: null, size: 30 },
      { filename: null, size: 33 },
    ],
    why: 'the outer delimiter "--1" ends the inner multipart (RFC 2046 5.1.2), so there are three attached messages; mail-parser runs the second one on to the end',
  },
  'stalwart-mail-parser/malformed/016.eml': {
    attachments: [],
    why: 'the outer delimiter closes both inner multiparts (RFC 2046 5.1.2), and the rest is the text of one inline part; mail-parser keeps the inner boundaries open',
  },
};

interface Tally {
  matched: number;
  total: number;
}

interface Comparison {
  readonly source: string;
  readonly field: Field;
  readonly tally: Tally;
  readonly mismatch?: string;
}

/**
 * stalwart's expectations (`.crlf.json`) are for the message with CRLF line
 * ends, as POP3 delivers it, so the sizes of text parts count the CRs.
 */
function rawFor(message: CorpusMessage): Buffer {
  const raw = message.bytes();
  if (message.source !== 'stalwart-mail-parser') {
    return raw;
  }

  return Buffer.from(
    raw.toString('latin1').replace(/\r?\n/g, '\r\n'),
    'latin1',
  );
}

function expectationFor(message: CorpusMessage): CorpusExpectation {
  return { ...message.expected, ...TRUTH[message.id] };
}

function compare(message: CorpusMessage, parsed: ParsedMessage): Comparison[] {
  const expected = expectationFor(message);
  const comparisons: Comparison[] = [];
  const add = (field: Field, want: unknown, got: unknown, tally: Tally) => {
    comparisons.push({
      source: message.source,
      field,
      tally,
      ...(tally.matched < tally.total && {
        mismatch: `${message.id} ${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`,
      }),
    });
  };

  if (expected.subject !== undefined) {
    const [want, got] = [expected.subject.trim(), parsed.subject.trim()];
    add('subject', want, got, { matched: want === got ? 1 : 0, total: 1 });
  }
  if (expected.from !== undefined) {
    const want = [expected.from.address, expected.from.name ?? ''];
    const got = [parsed.from?.address.toLowerCase(), parsed.from?.name ?? ''];
    const same = want[0] === got[0] && want[1] === got[1];
    add('sender', want, got, { matched: same ? 1 : 0, total: 1 });
  }
  if (expected.attachments !== undefined) {
    const want = expected.attachments.map((a) => `${a.filename}|${a.size}`);
    const got = parsed.attachments.map(
      (a) => `${a.namedBySender ? a.filename : null}|${a.size}`,
    );
    add('attachments', want, got, countCommon(want, got));
  }

  return comparisons;
}

/** Pairs equal entries one to one; every unpaired entry is a miss. */
function countCommon(want: string[], got: string[]): Tally {
  const left = [...got];
  let matched = 0;
  for (const entry of want) {
    const index = left.indexOf(entry);
    if (index !== -1) {
      left.splice(index, 1);
      matched += 1;
    }
  }

  return { matched, total: Math.max(want.length, got.length) };
}

const MESSAGES = loadCorpus().filter(
  (message) =>
    SOURCES.includes(message.source) &&
    Object.keys(message.expected).length > 0,
);

describe('parseMessage against the corpus expectations', () => {
  it('covers the three sources with expectations', () => {
    const sources = new Set(MESSAGES.map((message) => message.source));

    expect([...sources].sort()).toEqual([...SOURCES].sort());
    expect(MESSAGES.length).toBeGreaterThanOrEqual(80);
  });

  it(`matches at least ${MIN_MATCHED_SHARE * 100} % of subject, sender and attachment fields`, async () => {
    const comparisons: Comparison[] = [];
    for (const message of MESSAGES) {
      comparisons.push(
        ...compare(message, await parseMessage(rawFor(message))),
      );
    }

    const matched = comparisons.reduce((sum, c) => sum + c.tally.matched, 0);
    const total = comparisons.reduce((sum, c) => sum + c.tally.total, 0);
    const mismatches = comparisons.flatMap((c) => c.mismatch ?? []);
    expect(total).toBeGreaterThan(200);
    expect(matched / total, mismatches.join('\n')).toBeGreaterThanOrEqual(
      MIN_MATCHED_SHARE,
    );
  });

  it.each(Object.entries(TRUTH))(
    'has a truth for %s that differs from the upstream value',
    (id, truth) => {
      const message = MESSAGES.find((candidate) => candidate.id === id);
      const upstream = message?.expected ?? {};
      const fields = (['subject', 'from', 'attachments'] as const).filter(
        (field) => truth[field] !== undefined,
      );

      expect(message, `${id} is not in the corpus`).toBeDefined();
      expect(truth.why).not.toBe('');
      for (const field of fields) {
        expect(truth[field], `${id} ${field}`).not.toEqual(upstream[field]);
      }
    },
  );
});
