/**
 * Generated hostile messages: each aims at one limit of a mail pipeline
 * (size, nesting, part count, header length, encodings, structure). Every
 * message carries a unique marker so its fate can be traced.
 */

const CRLF = '\r\n';

/** One hostile message and what it attacks. */
export interface HostileMessage {
  /** Short name, used in test titles. */
  readonly name: string;
  /** What it is meant to break. */
  readonly attack: string;
  readonly raw: Buffer;
}

function headers(name: string, extra: string[] = []): string {
  return [
    `From: Hostile Sender <hostile-${name}@attacker.example>`,
    'To: support@helpdesk.example',
    `Subject: hostile ${name}`,
    `Message-ID: <hostile-${name}@attacker.example>`,
    'Date: Fri, 04 Dec 2026 09:00:00 +0000',
    'MIME-Version: 1.0',
    ...extra,
  ].join(CRLF);
}

function fiftyMegabytes(): Buffer {
  const head = `${headers('50mb', ['Content-Type: text/plain'])}${CRLF}${CRLF}`;
  // Short lines: a POP3 server may refuse or rewrap lines over 998 bytes.
  const line = `${'x'.repeat(76)}${CRLF}`;
  const lines = Math.ceil((50 * 1024 * 1024) / line.length);

  return Buffer.concat([Buffer.from(head), Buffer.from(line.repeat(lines))]);
}

function deepNesting(levels: number): Buffer {
  const opening: string[] = [];
  const closing: string[] = [];
  for (let level = 0; level < levels; level += 1) {
    opening.push(
      `Content-Type: multipart/mixed; boundary="n${level}"${CRLF}${CRLF}--n${level}`,
    );
    closing.unshift(`--n${level}--`);
  }
  const leaf = `Content-Type: text/plain${CRLF}${CRLF}the innermost part`;

  return Buffer.from(
    [headers('nesting'), ...opening, leaf, ...closing, ''].join(CRLF),
  );
}

function manyLinks(count: number): Buffer {
  const links = Array.from(
    { length: count },
    (_, n) =>
      `<a href="https://link-${n}.attacker.example/p?id=${n}">link ${n}</a>`,
  ).join(`${CRLF}`);

  return Buffer.from(
    `${headers('links', ['Content-Type: text/html; charset=utf-8'])}${CRLF}${CRLF}<html><body>${links}</body></html>${CRLF}`,
  );
}

function longHeaderLine(bytes: number): Buffer {
  return Buffer.from(
    `${headers('long-header', [`X-Padding: ${'h'.repeat(bytes)}`, 'Content-Type: text/plain'])}${CRLF}${CRLF}a normal body${CRLF}`,
  );
}

function nulBytes(): Buffer {
  return Buffer.concat([
    Buffer.from(
      `${headers('nul', ['Content-Type: text/plain', 'X-Nul: a\0b'])}${CRLF}${CRLF}before`,
    ),
    Buffer.from([0, 0, 0]),
    Buffer.from(`after\0end${CRLF}`),
  ]);
}

function noHeaders(): Buffer {
  return Buffer.from(
    `just text, no header section at all${CRLF}second line${CRLF}`,
  );
}

function truncatedMultipart(): Buffer {
  return Buffer.from(
    [
      headers('truncated', ['Content-Type: multipart/mixed; boundary="t"']),
      '',
      '--t',
      'Content-Type: text/plain',
      '',
      'the first part is complete',
      '--t',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5n',
    ].join(CRLF),
  );
}

function invalidBase64(): Buffer {
  return Buffer.from(
    [
      headers('base64', [
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
      ]),
      '',
      '!!!! this is *not* base64 ~~~~ @@@@ ====',
      'SGVsbG8=gibberish===after=padding',
      '',
    ].join(CRLF),
  );
}

function tinyParts(count: number): Buffer {
  const chunks = [
    `${headers('parts', ['Content-Type: multipart/mixed; boundary="p"'])}${CRLF}${CRLF}`,
  ];
  chunks.push(`--p${CRLF}${CRLF}x${CRLF}`.repeat(count));
  chunks.push(`--p--${CRLF}`);

  return Buffer.from(chunks.join(''));
}

/**
 * The hostile set of the reliability issue, built fresh (about 62 MB).
 *
 * @returns each message with its name and the limit it attacks
 */
export function hostileMessages(): HostileMessage[] {
  return [
    { name: '50mb', attack: 'message size', raw: fiftyMegabytes() },
    {
      name: 'nesting',
      attack: '400-level MIME nesting',
      raw: deepNesting(400),
    },
    { name: 'links', attack: '20,000-link HTML', raw: manyLinks(20_000) },
    {
      name: 'long-header',
      attack: '200 KB header line',
      raw: longHeaderLine(200 * 1024),
    },
    { name: 'nul', attack: 'NUL bytes', raw: nulBytes() },
    { name: 'no-headers', attack: 'no headers at all', raw: noHeaders() },
    {
      name: 'truncated',
      attack: 'truncated multipart',
      raw: truncatedMultipart(),
    },
    { name: 'base64', attack: 'invalid base64', raw: invalidBase64() },
    {
      name: 'parts',
      attack: 'a million tiny parts',
      raw: tinyParts(1_000_000),
    },
  ];
}
