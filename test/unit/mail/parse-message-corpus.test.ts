import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../functions/mail/parse-message.js';

const CORPUS = fileURLToPath(
  new URL('../../fixtures/corpus/', import.meta.url),
);

/** What another project's parser says a message's subject and sender are. */
interface Expectation {
  file: string;
  subject?: string;
  fromAddress?: string;
  fromName?: string;
}

/** One checked field: `<file> <field>`. */
type FieldKey = `${string} ${'subject' | 'from.address' | 'from.name'}`;

/**
 * Fields where the other parser's result is its own quirk, not a fact about
 * the message, with the reason; they are checked to still differ, so a fix
 * upstream shows up here.
 */
const KNOWN_DIFFERENCES: Partial<Record<FieldKey, string>> = {
  'zammad/mail018.box subject':
    'Zammad keeps the tab of each folded line; mailparser makes it a space',
  'zammad/mail076.box from.name':
    'Zammad turns a broken quoted local part into a display name',
  'zammad/mail093.box from.name':
    'the encoded word says ISO-2022-JP but holds Shift_JIS bytes',
};

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(CORPUS, path), 'utf8')) as T;
}

function zammadExpectations(): Expectation[] {
  return readdirSync(join(CORPUS, 'zammad'))
    .filter((name) => name.endsWith('.expected.json'))
    .map((name) => {
      const expected = readJson<Record<string, string | null>>(
        `zammad/${name}`,
      );
      return {
        file: `zammad/${name.replace('.expected.json', '.box')}`,
        subject: expected.subject ?? undefined,
        fromAddress: expected.from_email ?? undefined,
        fromName: expected.from_display_name ?? undefined,
      };
    });
}

function phpExpectations(): Expectation[] {
  const { messages } = readJson<{
    messages: Record<
      string,
      { subject?: string; from?: { display: string; address: string }[] }
    >;
  }>('php-mime-mail-parser/expected.json');

  return Object.entries(messages).map(([name, expected]) => ({
    file: `php-mime-mail-parser/${name}`,
    subject: expected.subject,
    fromAddress: expected.from?.[0]?.address,
    // This parser repeats the address as the display name when there is none.
    fromName:
      expected.from?.[0]?.display === expected.from?.[0]?.address
        ? ''
        : expected.from?.[0]?.display,
  }));
}

interface StalwartHeader {
  name: string;
  value: {
    Text?: string;
    Address?: { List?: { name?: string; address?: string }[] };
  };
}

function stalwartExpectations(): Expectation[] {
  return ['rfc', 'thirdparty', 'malformed'].flatMap((dir) =>
    readdirSync(join(CORPUS, 'stalwart-mail-parser', dir))
      .filter((name) => name.endsWith('.eml'))
      .map((name) => {
        const file = `stalwart-mail-parser/${dir}/${name}`;
        const { parts } = readJson<{
          parts: { headers: StalwartHeader[] }[];
        }>(file.replace('.eml', '.json'));
        const headers = parts[0]?.headers ?? [];
        const subject = headers.find((h) => h.name === 'subject')?.value;
        const from = headers.find((h) => h.name === 'from')?.value.Address
          ?.List?.[0];
        return {
          file,
          subject: subject?.Text,
          fromAddress: from?.address,
          fromName: from === undefined ? undefined : (from.name ?? ''),
        };
      }),
  );
}

const EXPECTATIONS = [
  ...zammadExpectations(),
  ...phpExpectations(),
  ...stalwartExpectations(),
];

function checkedFields(expectation: Expectation) {
  return [
    ['subject', expectation.subject],
    ['from.address', expectation.fromAddress?.toLowerCase()],
    ['from.name', expectation.fromName],
  ] as const;
}

async function actualFields(file: string) {
  const message = await parseMessage(readFileSync(join(CORPUS, file)));

  return {
    subject: message.subject,
    'from.address': message.from?.address.toLowerCase(),
    'from.name': message.from?.name ?? '',
  };
}

describe('parseMessage on the shared corpus', () => {
  it('finds the expectation files', () => {
    expect(EXPECTATIONS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(
    EXPECTATIONS.map((expectation) => [expectation.file, expectation] as const),
  )(
    'reads the subject and sender other parsers read in %s',
    async (_file, expectation) => {
      const actual = await actualFields(expectation.file);

      for (const [field, expected] of checkedFields(expectation)) {
        const key: FieldKey = `${expectation.file} ${field}`;
        if (expected === undefined) {
          continue;
        }
        if (KNOWN_DIFFERENCES[key] === undefined) {
          expect(actual[field], key).toBe(expected);
        } else {
          expect(actual[field], KNOWN_DIFFERENCES[key]).not.toBe(expected);
        }
      }
    },
  );

  it('decodes a raw Shift_JIS subject in a message labelled ISO-2022-JP', async () => {
    const message = await parseMessage(
      readFileSync(join(CORPUS, 'zammad/mail093.box')),
    );

    expect(message.subject).toBe('\u30c4\u30fc\u30eb');
  });

  it('takes the second From header when the first holds no address', async () => {
    const message = await parseMessage(
      readFileSync(join(CORPUS, 'zammad/mail017.box')),
    );

    expect(message.from?.address).toBe('ghgbwum@185.com.cn');
  });

  it('joins RFC 2231 file name continuations', async () => {
    const message = await parseMessage(
      readFileSync(
        join(
          CORPUS,
          'ruby-mail/multi_charset/japanese_attachment_long_name.eml',
        ),
      ),
    );

    expect(message.attachments.map((a) => a.filename)).toEqual([
      `${'\u304b\u304d\u304f\u3051\u3053'.repeat(5)}.txt`,
    ]);
  });

  it('decodes an RFC 2231 file name in Latin-1', async () => {
    const message = await parseMessage(
      readFileSync(join(CORPUS, 'zammad/mail073.box')),
    );

    expect(message.attachments[0]?.filename).toBe(
      'Bestellbest\u00e4tigung_BK18052795.jpg',
    );
  });

  it('marks cid images inline and keeps their Content-IDs', async () => {
    const message = await parseMessage(
      readFileSync(join(CORPUS, 'php-mime-mail-parser/m0008.eml')),
    );

    const inline = message.attachments.filter((a) => a.inline);
    expect(inline.map((a) => a.contentId)).toEqual([
      'ae0357e57f04b8347f7621662cb63855.jpg',
      '4c837ed463ad29c820668e835a270e8a.jpg',
    ]);
    for (const attachment of inline) {
      expect(message.html).toContain(`cid:${attachment.contentId}`);
    }
  });

  it('parses every message of the corpus without throwing', async () => {
    const { messages } = readJson<{ messages: { path: string }[] }>(
      'manifest.json',
    );

    const failures: string[] = [];
    for (const { path } of messages) {
      await parseMessage(readFileSync(join(CORPUS, path))).catch(
        (error: Error) => failures.push(`${path}: ${error.message}`),
      );
    }

    expect(messages).toHaveLength(302);
    expect(failures).toEqual([]);
  });
});
