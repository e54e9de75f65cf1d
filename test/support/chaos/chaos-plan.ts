import type { ConnectionFaults, FaultDirection } from '../fault-proxy.js';
import { type FaultService, SERVICE_ERRORS } from '../sdk-faults.js';
import { type ChaosMessage, generateChaosMail } from './chaos-mail.js';
import { caseSeed, SeededRandom } from './random.js';

/** Kinds of fault a case injects into its first run. */
export type FaultKind =
  | 'tls-cut'
  | 'tls-stall'
  | 'trickle'
  | 'retr-error'
  | 'dele-error'
  | 'login-refused'
  | 'store-throttle'
  | 's3-failure'
  | 'secrets-failure'
  | 'crash';

/** One injected fault, ready for the proxy, the SDK clients or a child. */
export type Fault =
  | { kind: 'tls-cut' | 'tls-stall' | 'trickle'; connection: ConnectionFaults }
  | {
      kind: 'retr-error' | 'dele-error' | 'login-refused';
      connection: ConnectionFaults;
    }
  | {
      kind: 'store-throttle' | 's3-failure' | 'secrets-failure';
      service: FaultService;
      fromCall: number;
      count: number;
      errorName: string;
    }
  | { kind: 'crash'; atCall: number; when: 'halt-before' | 'halt-after' };

/**
 * One chaos case: its mail and the faults its first runs meet, one per
 * run (a second fault hits the run that recovers from the first).
 */
export interface ChaosCase {
  readonly index: number;
  readonly seed: number;
  /** Unique label, used in markers and the POP3 account. */
  readonly label: string;
  readonly messages: readonly ChaosMessage[];
  readonly faults: readonly Fault[];
  /** Whether the mailbox uses plain-text POP3 (the POP3-aware faults). */
  readonly plainText: boolean;
}

/** Every kind, in the order the first cases of a run take them. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'tls-cut',
  'crash',
  'store-throttle',
  'dele-error',
  'retr-error',
  'trickle',
  'login-refused',
  's3-failure',
  'secrets-failure',
  'tls-stall',
];

const FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  'tls-cut': 20,
  crash: 18,
  'store-throttle': 15,
  'dele-error': 8,
  'retr-error': 8,
  trickle: 8,
  'login-refused': 5,
  's3-failure': 7,
  'secrets-failure': 4,
  'tls-stall': 7,
};

/** Share of cases whose recovery run meets a second fault. */
const SECOND_FAULT_CHANCE = 0.3;

/** Faults that read POP3 commands, so they need a plain-text session. */
const POP3_AWARE_KINDS: ReadonlySet<FaultKind> = new Set([
  'retr-error',
  'dele-error',
  'login-refused',
]);

/**
 * DynamoDB calls of a run around its messages and per message, as
 * measured on small runs; faults are placed within that span so most of
 * them land inside the run.
 */
const DYNAMODB_CALLS_PER_RUN = 18;
const DYNAMODB_CALLS_PER_MESSAGE = 9;

/** Measured bytes of a POP3 session besides the messages themselves. */
const SESSION_OVERHEAD_BYTES = { tls: 2_200, plain: 500, perMessage: 100 };
const COMMAND_BYTES = { tls: 750, plain: 100, perMessage: 30 };

/**
 * Plans the cases of a chaos run. The first cases take each fault kind in
 * turn, so even a small sample covers every kind; the rest are weighted.
 *
 * @param seed the run's seed
 * @param cases how many cases
 * @returns the cases, each reproducible from the run's seed and its index
 */
export function planChaosCases(seed: number, cases: number): ChaosCase[] {
  return Array.from({ length: cases }, (_, index) => planCase(seed, index));
}

function planCase(seed: number, index: number): ChaosCase {
  const random = new SeededRandom(caseSeed(seed, index));
  const label = `${seed.toString(36)}x${index}`;
  const messages = generateChaosMail(random, label, random.int(3, 8));
  const kind = FAULT_KINDS[index] ?? random.weighted(FAULT_WEIGHTS);
  const plainText = POP3_AWARE_KINDS.has(kind);
  const faults = [planFault(kind, random, messages, plainText)];
  if (random.chance(SECOND_FAULT_CHANCE)) {
    const next = random.weighted(FAULT_WEIGHTS);
    if (plainText || !POP3_AWARE_KINDS.has(next)) {
      faults.push(planFault(next, random, messages, plainText));
    }
  }

  return { index, seed, label, messages, faults, plainText };
}

function planFault(
  kind: FaultKind,
  random: SeededRandom,
  messages: readonly ChaosMessage[],
  plainText: boolean,
): Fault {
  const count = messages.length;
  const security = plainText ? 'plain' : 'tls';
  const replyBytes =
    messages.reduce((sum, m) => sum + m.raw.length, 0) +
    SESSION_OVERHEAD_BYTES[security] +
    SESSION_OVERHEAD_BYTES.perMessage * count;
  const commandBytes =
    COMMAND_BYTES[security] + COMMAND_BYTES.perMessage * count;
  const calls = DYNAMODB_CALLS_PER_RUN + DYNAMODB_CALLS_PER_MESSAGE * count;
  const direction: FaultDirection = random.chance(0.8)
    ? 'toClient'
    : 'toServer';
  const offset = (): number =>
    random.int(0, direction === 'toClient' ? replyBytes : commandBytes);
  switch (kind) {
    case 'tls-cut':
      return {
        kind,
        connection: {
          cut: { direction, afterBytes: offset(), reset: random.chance(0.5) },
        },
      };
    case 'tls-stall':
      return {
        kind,
        connection: { stall: { direction, afterBytes: offset() } },
      };
    case 'trickle':
      return {
        kind,
        connection: {
          trickle: { chunkBytes: random.int(256, 4096), delayMs: 1 },
          ...(random.chance(0.5)
            ? { cut: { direction: 'toClient', afterBytes: offset() } }
            : {}),
        },
      };
    case 'retr-error':
    case 'dele-error':
      return {
        kind,
        connection: {
          spoil: {
            command: kind === 'retr-error' ? 'RETR' : 'DELE',
            occurrence: random.int(1, messages.length),
          },
        },
      };
    case 'login-refused':
      return {
        kind,
        connection: { spoil: { command: 'AUTH', occurrence: 1 } },
      };
    case 'crash':
      return {
        kind,
        // Counted over every service: a few S3 and one Secrets Manager
        // call come on top of the DynamoDB ones.
        atCall: random.int(1, calls + 2 * count + 1),
        when: random.chance(0.5) ? 'halt-before' : 'halt-after',
      };
    default:
      return planServiceFault(kind, random, calls, count);
  }
}

function planServiceFault(
  kind: 'store-throttle' | 's3-failure' | 'secrets-failure',
  random: SeededRandom,
  calls: number,
  messages: number,
): Fault {
  const service: FaultService =
    kind === 'store-throttle'
      ? 'dynamodb'
      : kind === 's3-failure'
        ? 's3'
        : 'secretsmanager';

  return {
    kind,
    service,
    // Counted over this service's calls: a run makes about `calls`
    // DynamoDB calls, one or two S3 puts per message and one secret read.
    fromCall:
      service === 'dynamodb'
        ? random.int(1, calls)
        : service === 's3'
          ? random.int(1, messages)
          : 1,
    count: random.int(1, 3),
    errorName: random.pick(SERVICE_ERRORS[service]),
  };
}

/**
 * A one-line description of a case, for reports and for replaying it.
 *
 * @param chaosCase the case
 * @returns kind, parameters and the mail it carries
 */
export function describeCase(chaosCase: ChaosCase): string {
  const faults = chaosCase.faults.map(({ kind, ...details }) =>
    [kind, JSON.stringify(details)].join(' '),
  );
  const mail = chaosCase.messages.map((m) => m.kind).join(',');

  return `case ${chaosCase.index} ${faults.join(' then ')} mail=[${mail}]`;
}
