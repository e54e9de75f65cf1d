import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DovecotServer } from '../../test/support/dovecot.js';
import { retrieveWithFetchmail } from './fetchmail.js';
import { retrieveWithMpop } from './mpop.js';
import { type PipelineRetrieval, retrieveWithPipeline } from './pipeline.js';
import {
  collectProfile,
  formatProfileSummary,
  type ProfileSummary,
} from './profile.js';
import type { BenchRow } from './report.js';
import type { PopTarget, Retrieval } from './retrieval.js';
import type { MailboxSeed } from './seed.js';

/** The clients compared, in the order they run. */
export const CLIENTS = ['ours', 'mpop', 'fetchmail'] as const;

/** One of the compared clients. */
export type Client = (typeof CLIENTS)[number];

/** A network the comparison runs over. */
export interface Network {
  /** Short id, used in Dovecot user names and profile names. */
  readonly id: string;
  /** How the table names it. */
  readonly label: string;
  /** The goal: ours at most this many times mpop's time. */
  readonly maxRatioToMpop: number;
}

/** What the comparison needs from the bench. */
export interface ComparisonContext {
  readonly dovecot: DovecotServer;
  readonly password: string;
  readonly seed: MailboxSeed;
  readonly projectDir: string;
  /** Directory for the clients' own files. */
  readonly workDir: string;
  /** Set when the pipeline runs under `--cpu-prof`. */
  readonly profileDir?: string;
  /** Milliseconds left for one client before it is stopped. */
  stepTimeoutMs(): number;
  /** Prints a progress line. */
  log(line: string): void;
}

/** One network's rows (wall time, CPU time) and everything measured. */
export interface ComparisonResult {
  readonly rows: readonly BenchRow[];
  readonly details: Record<string, unknown>;
  readonly profile?: ProfileSummary;
}

/**
 * The Dovecot account one client empties over one network; every account
 * is seeded with the same mail just before its client runs.
 *
 * @param client the client
 * @param network the network
 * @returns e.g. `mpop-rtt10`
 */
export function accountFor(client: Client, network: Network): string {
  return `${client}-${network.id}`;
}

/**
 * Seeds an account per client with the same mail and times each client
 * emptying it over the given port. A failed or incomplete retrieval gives
 * no figure, only a note saying why.
 *
 * @param context the server, the seed, directories and limits
 * @param network the network, for names and the goal
 * @param port Dovecot's pop3s port, or the latency proxy's
 * @returns the table row and the details for the JSON report
 */
export async function compareRetrieval(
  context: ComparisonContext,
  network: Network,
  port: number,
): Promise<ComparisonResult> {
  const figures: Partial<Record<Client, number | null>> = {};
  const cpu: Partial<Record<Client, number | null>> = {};
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  let profile: ProfileSummary | undefined;
  for (const client of CLIENTS) {
    const measured = await measureClient(context, client, network, port);
    figures[client] = measured.seconds;
    cpu[client] = measured.cpuSeconds;
    details[client] = measured.details;
    if (measured.note) notes.push(measured.note);
    profile ??= measured.profile;
  }

  const messages = context.seed.messages.length;
  const megabytes = context.seed.totalBytes / 1e6;
  const size = megabytes.toFixed(megabytes < 10 ? 1 : 0);

  return {
    rows: [
      {
        metric: `retrieve ${messages} messages (${size} MB), ${network.label}`,
        unit: 's',
        ours: figures.ours ?? null,
        mpop: figures.mpop ?? null,
        fetchmail: figures.fetchmail ?? null,
        goal: { kind: 'ratio-to-mpop', max: network.maxRatioToMpop },
        notes,
      },
      {
        metric: `client CPU time for those, ${network.label}`,
        unit: 's',
        ours: cpu.ours ?? null,
        mpop: cpu.mpop ?? null,
        fetchmail: cpu.fetchmail ?? null,
      },
    ],
    details,
    profile,
  };
}

/** One client's figures over one network, or why there are none. */
interface ClientMeasurement {
  /** Wall time; null when the retrieval failed or was incomplete. */
  readonly seconds: number | null;
  readonly cpuSeconds: number | null;
  readonly details: Record<string, unknown>;
  readonly note?: string;
  readonly profile?: ProfileSummary;
}

async function measureClient(
  context: ComparisonContext,
  client: Client,
  network: Network,
  port: number,
): Promise<ClientMeasurement> {
  const user = accountFor(client, network);
  await context.dovecot.deliver(user, context.seed.messages);
  const target: PopTarget = {
    port,
    user,
    password: context.password,
    caPath: context.dovecot.caPath,
  };
  context.log(`${network.label}: ${client} retrieving...`);
  try {
    const loadBefore = os.loadavg()[0];
    const retrieval = await retrieve(client, target, context);
    const left = await context.dovecot.countMessages(user);
    context.log(
      `${network.label}: ${client} ${retrieval.seconds.toFixed(2)} s (CPU ${retrieval.cpuSeconds.toFixed(2)} s), ${retrieval.retrieved} messages`,
    );
    const { details: own, ...figures } = retrieval;
    const complete = isComplete(retrieval, left, context);

    return {
      seconds: complete ? retrieval.seconds : null,
      cpuSeconds: complete ? retrieval.cpuSeconds : null,
      details: { ...figures, ...own, loadBefore, leftOnServer: left },
      note: complete
        ? undefined
        : `${client} took ${retrieval.seconds.toFixed(2)} s but handed on ${retrieval.retrieved} of ${context.seed.messages.length} messages and left ${left} on the server`,
      profile:
        context.profileDir && isPipeline(retrieval)
          ? await summarise(context, network, retrieval)
          : undefined,
    };
  } catch (error) {
    context.log(`${network.label}: ${client} failed`);
    return {
      seconds: null,
      cpuSeconds: null,
      details: { error: (error as Error).message },
      note: `${client} failed: ${summarizeError(error)}`,
    };
  }
}

async function retrieve(
  client: Client,
  target: PopTarget,
  context: ComparisonContext,
): Promise<Retrieval | PipelineRetrieval> {
  const workDir = await mkdtemp(path.join(context.workDir, `${client}-`));
  const options = { workDir, timeoutMs: context.stepTimeoutMs() };
  if (client === 'mpop') return retrieveWithMpop(target, options);
  if (client === 'fetchmail') return retrieveWithFetchmail(target, options);

  return retrieveWithPipeline(target, {
    ...options,
    dovecot: context.dovecot,
    profileDir: context.profileDir,
  });
}

/** A time only counts when every message was taken and the server is empty. */
function isComplete(
  retrieval: Retrieval,
  leftOnServer: number,
  context: ComparisonContext,
): boolean {
  return (
    retrieval.retrieved === context.seed.messages.length && leftOnServer === 0
  );
}

function isPipeline(
  retrieval: Retrieval | PipelineRetrieval,
): retrieval is PipelineRetrieval {
  return 'windowUs' in retrieval;
}

async function summarise(
  context: ComparisonContext,
  network: Network,
  retrieval: PipelineRetrieval,
): Promise<ProfileSummary> {
  const { file, summary } = await collectProfile(
    context.profileDir as string,
    retrieval.pid,
    `pipeline-${network.id}`,
    { projectDir: context.projectDir, window: retrieval.windowUs },
  );
  context.log(
    `profile of the pipeline, ${network.label} (${file}):\n${formatProfileSummary(summary)}`,
  );

  return summary;
}

/**
 * The gist of an error for the table's notes. A runtime that fails to
 * start puts its whole output in the message; its JSON log line with the
 * error says what went wrong.
 */
function summarizeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const logged = message
    .split('\n')
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as {
          error?: { message?: string; location?: string };
        };
        return parsed.error?.message
          ? [`${parsed.error.message} (${parsed.error.location})`]
          : [];
      } catch {
        return [];
      }
    })
    .at(-1);

  return logged ?? message.split('\n')[0] ?? message;
}
