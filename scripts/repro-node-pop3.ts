/**
 * Serves one awkward message through the fake POP3 server and shows what
 * node-pop3 0.11.0 returns next to what the project's own client returns.
 * Run with `npx tsx scripts/repro-node-pop3.ts`; it listens on 127.0.0.1
 * only and ends on its own.
 */
import Pop3Command from 'node-pop3';
import { Pop3Session } from '../functions/pop3/pop3-session.js';
import {
  FakePop3Server,
  type FakePop3ServerOptions,
  normalizeMessage,
  type ReplyInfo,
} from '../test/support/fake-pop3-server.js';

/** How long either client may take before the attempt counts as a hang. */
const HANG_AFTER_MS = 3_000;

/** node-pop3's own timeout, shorter than ours, to show it never fires. */
const NODE_POP3_TIMEOUT_MS = 1_000;

const MESSAGE = Buffer.concat([
  Buffer.from('Subject: repro\n\n..two dots\n.\n', 'latin1'),
  Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xc3, 0x28, 0x80, 0x0a]),
  Buffer.from('last line\n', 'latin1'),
]);
const EXPECTED = normalizeMessage(MESSAGE);

interface Scenario {
  readonly name: string;
  readonly splitRetr: (reply: ReplyInfo) => number[];
}

const SCENARIOS: Scenario[] = [
  { name: 'RETR reply in one write', splitRetr: () => [] },
  {
    name: 'status line split after "+OK"',
    splitRetr: () => [3],
  },
  {
    name: 'terminator split as "\\r\\n." + "\\r\\n"',
    splitRetr: (reply) => [reply.bytes.length - 2],
  },
];

type Outcome =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'hang' }
  | { readonly kind: 'error'; readonly error: unknown };

function withDeadline(work: Promise<Buffer>): Promise<Outcome> {
  return Promise.race([
    work.then(
      (bytes): Outcome => ({ kind: 'bytes', bytes }),
      (error: unknown): Outcome => ({ kind: 'error', error }),
    ),
    new Promise<Outcome>((resolve) =>
      setTimeout(() => resolve({ kind: 'hang' }), HANG_AFTER_MS),
    ),
  ]);
}

async function viaNodePop3(port: number): Promise<Outcome> {
  const client = new Pop3Command({
    host: '127.0.0.1',
    port,
    user: 'alice',
    password: 's3cret',
    timeout: NODE_POP3_TIMEOUT_MS,
  });
  client.on('error', () => {});
  // node-pop3 returns a string decoded as UTF-8; turn it back into bytes.
  const work = client.RETR(1).then((text) => Buffer.from(text, 'utf8'));

  return withDeadline(work);
}

async function viaOwnClient(port: number): Promise<Outcome> {
  const work = (async () => {
    const session = await Pop3Session.connect({
      host: '127.0.0.1',
      port,
      security: 'none',
      username: 'alice',
      password: 's3cret',
      commandTimeoutMs: HANG_AFTER_MS - 500,
    });
    try {
      return await session.retr(1);
    } finally {
      session.close();
    }
  })();

  return withDeadline(work);
}

function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'hang') {
    return `never settled within ${HANG_AFTER_MS} ms (node-pop3 timeout was ${NODE_POP3_TIMEOUT_MS} ms)`;
  }
  if (outcome.kind === 'error') {
    return `rejected: ${String(outcome.error)}`;
  }
  if (outcome.bytes.equals(EXPECTED)) {
    return `exact (${outcome.bytes.length} bytes)`;
  }
  const text = outcome.bytes.toString('utf8');

  return [
    `DAMAGED: ${outcome.bytes.length} bytes instead of ${EXPECTED.length}`,
    `U+FFFD replacements: ${text.split('\ufffd').length - 1}`,
    `dot-stuffing kept: ${text.includes('\n...two dots')}`,
    `final CRLF kept: ${text.endsWith('last line\r\n')}`,
    `starts with: ${JSON.stringify(text.slice(0, 24))}`,
  ].join('; ');
}

async function runScenario(scenario: Scenario): Promise<void> {
  const options: FakePop3ServerOptions = {
    messages: [MESSAGE],
    splitReply: (reply) =>
      reply.command === 'RETR' ? scenario.splitRetr(reply) : [],
  };
  const theirs = await FakePop3Server.start(options);
  const ours = await FakePop3Server.start(options);
  try {
    const [nodePop3, own] = await Promise.all([
      viaNodePop3(theirs.port),
      viaOwnClient(ours.port),
    ]);
    console.log(`\n${scenario.name}`);
    console.log(`  node-pop3 0.11.0: ${describeOutcome(nodePop3)}`);
    console.log(`  techmail client:  ${describeOutcome(own)}`);
  } finally {
    await Promise.all([theirs.close(), ours.close()]);
  }
}

console.log(
  `Message: ${EXPECTED.length} bytes with a dot-stuffed line, a "." line and 8-bit bytes (invalid UTF-8 included)`,
);
for (const scenario of SCENARIOS) {
  await runScenario(scenario);
}
