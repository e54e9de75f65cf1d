import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the third-party mail corpus copied into the test fixtures. */
export const CORPUS_DIR = fileURLToPath(
  new URL('../fixtures/corpus/', import.meta.url),
);

/** Upstream projects the corpus messages come from, one folder each. */
export const CORPUS_SOURCES = [
  'enmime',
  'flanker',
  'mail-deliverystatus-bounceparser',
  'mimekit',
  'nodemailer-mailparser',
  'php-mime-mail-parser',
  'postal-mime',
  'request-tracker',
  'ruby-mail',
  'sisimai-set-of-emails',
  'stalwart-mail-parser',
  'zammad',
] as const;

/** One of {@link CORPUS_SOURCES}. */
export type CorpusSource = (typeof CORPUS_SOURCES)[number];

/** What a mail-to-incident classifier should conclude about a message. */
export type MessageClass =
  | 'bounce'
  | 'auto-reply'
  | 'feedback'
  | 'delivered'
  | 'ordinary';

/** Expected sender: the first From address. */
export interface ExpectedSender {
  /** Address, lower-cased. */
  readonly address: string;
  /** Display name; absent when the header has none. */
  readonly name?: string;
}

/** Expected attachment, in the order the upstream parser listed them. */
export interface ExpectedAttachment {
  /** Decoded file name, or null when the part has none. */
  readonly filename: string | null;
  /** Decoded size in bytes (see {@link CorpusExpectation} for per-source caveats). */
  readonly size: number;
  /** MD5 of the decoded bytes, where the source gives one (Zammad). */
  readonly md5?: string;
}

/** Expected bounce / auto-reply classification. */
export interface ExpectedClassification {
  /** Normalised class. */
  readonly messageClass: MessageClass;
  /** Upstream reasons (Sisimai per-recipient reasons, BounceParser std_reason), deduplicated. */
  readonly reasons: readonly string[];
}

/**
 * Expected values, normalised across sources. A field is present only where
 * the source states it. Compare subjects after trimming: upstream parsers
 * keep stray leading and trailing whitespace.
 *
 * - `zammad` (`mailNNN.expected.json`, converted from Zammad's YAML): subject,
 *   from (`from_email`, `from_display_name`), attachments. Zammad keeps an
 *   HTML alternative as a `message.html` attachment; those entries are
 *   dropped here. Text attachments were re-encoded to UTF-8 by Zammad, so
 *   their size and MD5 may differ from the raw part; binary ones match.
 *   Zammad invents names for unnamed parts (from Content-ID), leaves UTF-7
 *   undecoded (mail018) and keeps broken From values as it read them (mail076).
 * - `php-mime-mail-parser` (`expected.json`): subject, first `from` entry,
 *   attachments. That parser fills a missing display name with the address
 *   and a missing file name with `nonameN`; both are mapped to "absent".
 *   It also counts a named text/plain part as an attachment.
 * - `stalwart-mail-parser` (`NNN.crlf.json`, mail-parser's parse tree of the
 *   message with CRLF line ends, i.e. as POP3 delivers it): subject and from
 *   from the top-level headers, attachments from the tree's `attachments`
 *   list, which holds every non-body part (extra text parts and
 *   message/rfc822 parts too). Text parts are sized as UTF-8 after charset
 *   decoding; an encapsulated message by its decoded length.
 * - `sisimai-set-of-emails` (`expected.json`, one reason per failed
 *   recipient): classification only. No recipients: ordinary mail; all
 *   `vacation`: RFC 3834 auto-reply; all `feedback`: ARF report; all
 *   `delivered`: success DSN; anything else, 4.x.x failures included: bounce.
 * - `mail-deliverystatus-bounceparser` (`expected.json`): classification
 *   only; `is_bounce` plus the assembler's label, see `classifyBounceParser`.
 */
export interface CorpusExpectation {
  readonly subject?: string;
  readonly from?: ExpectedSender;
  readonly attachments?: readonly ExpectedAttachment[];
  readonly classification?: ExpectedClassification;
}

/** Descriptive hints from the corpus manifest; computed by a script, not ground truth. */
export interface CorpusHints {
  readonly lineEndings: 'LF' | 'CRLF' | 'mixed:CRLF+LF';
  readonly hasRaw8bit: boolean;
  readonly hasNUL: boolean;
  readonly startsWithMboxFromLine: boolean;
  readonly contentTypes: readonly string[];
  readonly charsets: readonly string[];
  readonly transferEncodings: readonly string[];
  readonly multipartReportTypes: readonly string[];
  readonly hasTNEF: boolean;
  readonly autoResponseHeaders: Readonly<Record<string, string>>;
}

/** One message file of the corpus. */
export interface CorpusMessage {
  /** Path relative to {@link CORPUS_DIR}, e.g. `zammad/mail001.box`; unique. */
  readonly id: string;
  readonly source: CorpusSource;
  /** Absolute path of the message file. */
  readonly path: string;
  /** Size in bytes and SHA-256 (hex) recorded in the manifest. */
  readonly size: number;
  readonly sha256: string;
  readonly hints: CorpusHints;
  /** Empty object when the source has no expectations for this message. */
  readonly expected: CorpusExpectation;
  /** Reads the raw message bytes. */
  bytes(): Buffer;
}

interface ManifestEntry {
  path: string;
  source: string;
  size: number;
  sha256: string;
  expectation: string[] | null;
  hints: CorpusHints;
}

interface ZammadExpected {
  subject?: string;
  from_email?: string;
  from_display_name?: string;
  attachments?: {
    filename: string;
    size: number;
    md5: string;
    preferences?: { 'content-alternative'?: boolean };
  }[];
}

interface PhpExpected {
  subject?: string;
  from?: { display: string; address: string }[];
  attachments?: { filename: string; size: number }[];
}

interface SisimaiExpected {
  recipients: { reason: string }[];
}

interface BounceParserExpected {
  is_bounce: boolean;
  std_reason?: string;
  assembler_kind?: string;
}

interface StalwartTree {
  parts: StalwartPart[];
  attachments: number[];
}

interface StalwartPart {
  headers: { name: string; value: StalwartHeaderValue }[];
  body: {
    Text?: string;
    Html?: string;
    Binary?: number[];
    InlineBinary?: number[];
    Message?: StalwartTree;
  };
  offset_header: number;
  offset_end: number;
}

interface StalwartHeaderValue {
  Text?: string;
  Address?: { List?: { name: string | null; address: string | null }[] };
  ContentType?: { attributes: { name: string; value: string }[] | null };
}

/** php-mime-mail-parser names an unnamed attachment `noname1`, `noname2`... */
const PHP_PLACEHOLDER_NAME = /^noname\d*$/;

/**
 * Lists every corpus message with its normalised expectations. Synchronous,
 * so it can feed `it.each` while tests are collected; it reads only
 * `test/fixtures/corpus`.
 *
 * @returns all messages in manifest order
 * @example
 * const bounces = loadCorpus().filter(
 *   (m) => m.expected.classification?.messageClass === 'bounce',
 * );
 */
export function loadCorpus(): CorpusMessage[] {
  const manifest = readJson<{ messages: ManifestEntry[] }>('manifest.json');
  const keyed = new Map<string, Record<string, unknown>>();
  const keyedFile = (file: string): Record<string, unknown> => {
    const loaded =
      keyed.get(file) ??
      readJson<{ messages: Record<string, unknown> }>(file).messages;
    keyed.set(file, loaded);
    return loaded;
  };

  return manifest.messages.map((entry) => {
    const source = assertSource(entry);
    const absolute = path.join(CORPUS_DIR, entry.path);

    return {
      id: entry.path,
      source,
      path: absolute,
      size: entry.size,
      sha256: entry.sha256,
      hints: entry.hints,
      expected: withoutUndefined(readExpectation(entry, source, keyedFile)),
      bytes: () => readFileSync(absolute),
    };
  });
}

function assertSource(entry: ManifestEntry): CorpusSource {
  const source = CORPUS_SOURCES.find((known) => known === entry.source);
  if (!source) {
    throw new Error(
      `Corpus manifest names unknown source "${entry.source}" for ${entry.path}; add it to CORPUS_SOURCES.`,
    );
  }

  return source;
}

function readExpectation(
  entry: ManifestEntry,
  source: CorpusSource,
  keyedFile: (file: string) => Record<string, unknown>,
): CorpusExpectation {
  const files = entry.expectation ?? [];
  if (files.length === 0) return {};
  const named = (suffix: string): string => {
    const file = files.find((candidate) => candidate.endsWith(suffix));
    if (!file) {
      throw new Error(
        `Corpus expectation ${suffix} for ${entry.path} is missing.`,
      );
    }
    return file;
  };
  // One expected.json per folder, keyed by the path inside the folder.
  const keyedEntry = <T>(): T => {
    const key = entry.path.slice(source.length + 1);
    const found = keyedFile(named('/expected.json'))[key];
    if (!found) {
      throw new Error(`Corpus expectation for ${entry.path} is missing.`);
    }
    return found as T;
  };

  switch (source) {
    case 'zammad':
      return fromZammad(readJson(named('.expected.json')));
    case 'php-mime-mail-parser':
      return fromPhp(keyedEntry<PhpExpected>());
    case 'stalwart-mail-parser':
      return fromStalwart(readJson(named('.crlf.json')));
    case 'sisimai-set-of-emails':
      return {
        classification: classifySisimai(keyedEntry<SisimaiExpected>()),
      };
    case 'mail-deliverystatus-bounceparser':
      return {
        classification: classifyBounceParser(
          entry.path,
          keyedEntry<BounceParserExpected>(),
        ),
      };
    default:
      throw new Error(
        `Corpus source ${source} has expectation files but no reader for them (${entry.path}).`,
      );
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined),
  ) as T;
}

function fromZammad(expected: ZammadExpected): CorpusExpectation {
  return {
    subject: expected.subject,
    from: expected.from_email
      ? sender(expected.from_email, expected.from_display_name)
      : undefined,
    attachments: expected.attachments
      ?.filter((file) => !file.preferences?.['content-alternative'])
      .map(({ filename, size, md5 }) => ({ filename, size, md5 })),
  };
}

function fromPhp(expected: PhpExpected): CorpusExpectation {
  const first = expected.from?.[0];

  return {
    subject: expected.subject,
    from: first
      ? sender(
          first.address,
          first.display === first.address ? undefined : first.display,
        )
      : undefined,
    attachments: expected.attachments?.map(({ filename, size }) => ({
      filename: PHP_PLACEHOLDER_NAME.test(filename) ? null : filename,
      size,
    })),
  };
}

function fromStalwart(tree: StalwartTree): CorpusExpectation {
  const root = tree.parts[0];
  const header = (name: string) =>
    root?.headers.find((candidate) => candidate.name === name)?.value;
  const address = header('from')?.Address?.List?.[0];

  return {
    subject: header('subject')?.Text,
    from: address?.address
      ? sender(address.address, address.name ?? undefined)
      : undefined,
    attachments: tree.attachments.map((id) => {
      const part = tree.parts[id];
      if (!part) throw new Error(`Stalwart parse tree lacks part ${id}.`);
      return { filename: stalwartFileName(part), size: stalwartSize(part) };
    }),
  };
}

function stalwartFileName(part: StalwartPart): string | null {
  const parameter = (header: string, name: string) =>
    part.headers
      .find((candidate) => candidate.name === header)
      ?.value.ContentType?.attributes?.find((attr) => attr.name === name)
      ?.value;

  return (
    parameter('content_disposition', 'filename') ??
    parameter('content_type', 'name') ??
    null
  );
}

function stalwartSize(part: StalwartPart): number {
  const { Text, Html, Binary, InlineBinary, Message } = part.body;
  const text = Text ?? Html;
  if (text !== undefined) return Buffer.byteLength(text, 'utf8');
  const binary = Binary ?? InlineBinary;
  if (binary) return binary.length;
  // The nested root part's offsets span the decoded message, even when the
  // rfc822 part itself was base64-encoded.
  const nested = Message?.parts[0];
  if (nested) return nested.offset_end - nested.offset_header;
  throw new Error(
    'Stalwart parse tree has an attachment body of unknown kind.',
  );
}

function sender(address: string, name: string | undefined): ExpectedSender {
  const trimmed = name?.trim();

  return trimmed
    ? { address: address.trim().toLowerCase(), name: trimmed }
    : { address: address.trim().toLowerCase() };
}

/**
 * Applies the Sisimai rule described on {@link CorpusExpectation}.
 *
 * @param expected the file's entry in `sisimai-set-of-emails/expected.json`
 * @returns the normalised classification
 */
function classifySisimai(expected: SisimaiExpected): ExpectedClassification {
  const reasons = [...new Set(expected.recipients.map((r) => r.reason))];
  const only = reasons.length === 1 ? reasons[0] : undefined;
  const byReason: Record<string, MessageClass> = {
    vacation: 'auto-reply',
    feedback: 'feedback',
    delivered: 'delivered',
  };
  const messageClass =
    reasons.length === 0 ? 'ordinary' : (only && byReason[only]) || 'bounce';

  return { messageClass, reasons };
}

/**
 * BounceParser's `is_bounce: true` is a bounce. `is_bounce: false` covers
 * auto-replies, challenge-response requests and a delay warning alike, and
 * upstream data cannot tell them apart, so the rule reads the corpus
 * assembler's `assembler_kind` label: `auto-reply…` and
 * `challenge-response…` are auto-replies (machine answers that must not open
 * incidents); `delayed-delivery DSN…` is a bounce, as Sisimai counts
 * temporary failures. The set holds no ordinary mail, so any other label is
 * an error that forces a decision here.
 *
 * @param id the message id, for the error message
 * @param expected the file's entry in `mail-deliverystatus-bounceparser/expected.json`
 * @returns the normalised classification
 */
function classifyBounceParser(
  id: string,
  expected: BounceParserExpected,
): ExpectedClassification {
  const reasons = expected.std_reason ? [expected.std_reason] : [];
  if (expected.is_bounce) return { messageClass: 'bounce', reasons };
  const kind = expected.assembler_kind ?? '';
  if (/^(auto-reply|challenge-response)\b/.test(kind)) {
    return { messageClass: 'auto-reply', reasons };
  }
  if (kind.startsWith('delayed-delivery DSN')) {
    return { messageClass: 'bounce', reasons };
  }
  throw new Error(
    `BounceParser expectation for ${id} is not a bounce and has no known assembler_kind ("${kind}"); classify it in classifyBounceParser.`,
  );
}

function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(path.join(CORPUS_DIR, relative), 'utf8'));
}
