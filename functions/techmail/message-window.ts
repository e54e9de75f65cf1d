/**
 * The messages of a run whose writes are under way. Their writes overlap,
 * but each is finished (marked deleted, reported) in server order and
 * only once its own writes are durable.
 */
import type { RunMessage } from '../model.js';
import type { ServerMessage } from './mail-source.js';

/**
 * Messages whose writes may be under way at once. Each holds its bytes
 * until finished; beyond a handful the store, not the run, is the limit.
 */
export const MESSAGES_IN_FLIGHT = 8;

/**
 * Bytes of messages whose writes may be under way at once, so a run of
 * large messages cannot hold many of them in memory. Each also holds its
 * parse (decoded attachments and bodies, about as large again), so the
 * window holds at most about twice this. A larger message is taken alone.
 */
export const BYTES_IN_FLIGHT = 32 * 1024 * 1024;

/** Deletes or remembers a durable message and reports it. */
export type FinishMessage = (
  message: ServerMessage,
  entry: RunMessage,
) => Promise<void>;

type Outcome = { entry: RunMessage } | { error: unknown };

interface InFlight {
  readonly message: ServerMessage;
  readonly sizeBytes: number;
  readonly outcome: Promise<Outcome>;
}

/** A bounded window of messages in flight, finished in order. */
export class MessageWindow {
  private readonly inFlight: InFlight[] = [];
  private bytes = 0;
  private failure: { error: unknown } | undefined;
  private finishedCount = 0;

  /** @param finish what is done with a message once it is durable */
  constructor(private readonly finish: FinishMessage) {}

  /** Messages finished so far. */
  get finished(): number {
    return this.finishedCount;
  }

  /** True once a message's writes failed: the run should take no more. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Finishes the oldest messages until one of `sizeBytes` fits.
   *
   * @param sizeBytes size of the message about to be added
   * @returns false when a write failed and no message should be added
   */
  async makeRoom(sizeBytes: number): Promise<boolean> {
    while (!this.failed && this.inFlight.length > 0 && this.full(sizeBytes)) {
      await this.finishOldest();
    }

    return !this.failed;
  }

  /**
   * Adds a message whose writes have started.
   *
   * @param message the message on the server
   * @param sizeBytes the bytes it holds in memory
   * @param written settles when its writes are durable
   */
  add(
    message: ServerMessage,
    sizeBytes: number,
    written: Promise<RunMessage>,
  ): void {
    this.inFlight.push({
      message,
      sizeBytes,
      outcome: written.then(
        (entry) => ({ entry }),
        (error: unknown) => {
          // Noted at once, so no further message is started behind it.
          this.failure ??= { error };
          return { error };
        },
      ),
    });
    this.bytes += sizeBytes;
  }

  /**
   * Finishes every message in flight, in order. A message whose writes
   * failed is skipped (it stays on the server for the next run) and the
   * rest are still finished, since their writes are durable.
   *
   * @throws the first failure of a message's writes
   */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.finishOldest();
    if (this.failure) throw this.failure.error;
  }

  private full(sizeBytes: number): boolean {
    return (
      this.inFlight.length >= MESSAGES_IN_FLIGHT ||
      this.bytes + sizeBytes > BYTES_IN_FLIGHT
    );
  }

  private async finishOldest(): Promise<void> {
    const oldest = this.inFlight.shift();
    if (!oldest) return;
    const outcome = await oldest.outcome;
    this.bytes -= oldest.sizeBytes;
    if ('error' in outcome) return;

    await this.finish(oldest.message, outcome.entry);
    this.finishedCount += 1;
  }
}
