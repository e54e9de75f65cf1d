import { randomBytes } from 'node:crypto';
import type { Run } from '../../functions/model.js';
import type { DovecotServer } from '../../test/support/dovecot.js';
import { waitForRun } from '../../test/support/runtime-process.js';
import { createMailbox, drainMailbox, startBenchRuntime } from './pipeline.js';
import { readMemoryStatus, resetPeakRss } from './processes.js';
import type { PopTarget, RetrievalOptions } from './retrieval.js';
import { buildLargeMessage, generateMessage } from './seed.js';

/**
 * Pause after the warm-up run before the idle baseline is read, so the
 * warm-up's garbage has had a chance to be collected.
 */
const SETTLE_MS = 2_000;

/** The mailbox limit used: the API's maximum, so the message is processed. */
const MAILBOX_LIMIT_BYTES = 100 * 1024 * 1024;

/** What processing one large message cost the runtime process. */
export interface PeakRss {
  /** Resident size when idle after a warm-up run of one small message. */
  readonly baselineBytes: number;
  /** Highest resident size while the large message was processed. */
  readonly peakBytes: number;
  /** `peakBytes - baselineBytes`: what the goal is about. */
  readonly growthBytes: number;
  /** `VmHWM after a reset`, or `sampled VmRSS` when the reset failed. */
  readonly method: string;
  readonly messageBytes: number;
  /** The run's wall time for the one message. */
  readonly seconds: number;
  /** What became of the message: e.g. `created`, `quarantined (oversize)`. */
  readonly outcome: string;
}

/**
 * Measures the local runtime's peak RSS growth while it processes one
 * large message: a warm-up run of a small message first (modules loaded,
 * clients connected), then the idle baseline (VmRSS), a reset of VmHWM,
 * the large message's run, and VmHWM again. VmRSS is also sampled during
 * the run, so a kernel without the reset still yields a figure.
 *
 * @param target an empty account
 * @param options the server, message size, work dir and limit
 * @returns baseline, peak, growth and the message's outcome
 */
export async function measurePeakRss(
  target: PopTarget,
  options: RetrievalOptions & { dovecot: DovecotServer; messageBytes: number },
): Promise<PeakRss> {
  const runtime = await startBenchRuntime(target.caPath, options);
  try {
    const mailboxId = await createMailbox(
      runtime.apiUrl,
      target,
      MAILBOX_LIMIT_BYTES,
    );
    const drain = (onPoll?: () => Promise<void>) =>
      drainMailbox(runtime.apiUrl, mailboxId, {
        countMessages: () => options.dovecot.countMessages(target.user),
        deadline: performance.now() + options.timeoutMs,
        onPoll,
      });
    const token = randomBytes(4).toString('hex');
    await options.dovecot.deliver(target.user, [generateMessage(0, token)]);
    await drain();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    const large = buildLargeMessage(options.messageBytes);
    await options.dovecot.deliver(target.user, [large]);
    const baseline = await readMemoryStatus(runtime.pid);
    const reset = await resetPeakRss(runtime.pid);
    let sampledPeak = baseline.rssBytes;
    const runIds = await drain(async () => {
      const { rssBytes } = await readMemoryStatus(runtime.pid);
      sampledPeak = Math.max(sampledPeak, rssBytes);
    });
    const after = await readMemoryStatus(runtime.pid);
    const peakBytes = reset
      ? Math.max(after.peakBytes, sampledPeak)
      : sampledPeak;
    const runs = await Promise.all(
      runIds.map((id) => waitForRun<Run>(runtime.apiUrl, id, 60_000)),
    );

    return {
      baselineBytes: baseline.rssBytes,
      peakBytes,
      growthBytes: peakBytes - baseline.rssBytes,
      method: reset ? 'VmHWM after a reset' : 'sampled VmRSS',
      messageBytes: large.length,
      seconds: runs.reduce((sum, run) => sum + runSeconds(run), 0),
      outcome: runs.flatMap((run) => run.messages.map(describe)).join(', '),
    };
  } finally {
    await runtime.stop();
  }
}

function runSeconds(run: Run): number {
  if (!run.startedAt || !run.finishedAt) return 0;

  return (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
}

function describe(message: Run['messages'][number]): string {
  return message.reason
    ? `${message.outcome} (${message.reason})`
    : message.outcome;
}
