import type { LeaseStore } from '../store/ports.js';

/**
 * Renewals per lease period. With three, two renewals in a row may fail
 * (a throttled table) before the lease lapses.
 */
export const LEASE_RENEWALS_PER_TTL = 3;

/** A running lease renewal; see {@link keepLease}. */
export interface LeaseKeeper {
  /** True once a renewal found another run holding the lease. */
  readonly lost: boolean;
  /** Stops renewing and waits for a renewal in flight. */
  stop(): Promise<void>;
}

/**
 * Renews a run's lease on a timer for as long as the run works. Renewing
 * between messages only would let the lease lapse while one large message
 * crawls in over a slow link, and a second run could then take the same
 * mailbox; a short `TECHMAIL_LEASE_SECONDS` (quick recovery after a crash)
 * would make that likely.
 *
 * @param leases the lease store
 * @param mailboxId the mailbox whose lease the run holds
 * @param runId the run
 * @param ttlMs the lease period
 * @param now the clock
 * @returns the keeper; call `stop()` before giving the lease back
 * @example
 * const keeper = keepLease(leases, mailbox.id, runId, ttlMs, () => new Date());
 * try { await work(); } finally { await keeper.stop(); }
 */
export function keepLease(
  leases: LeaseStore,
  mailboxId: string,
  runId: string,
  ttlMs: number,
  now: () => Date,
): LeaseKeeper {
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    try {
      if (!(await leases.renew(mailboxId, runId, ttlMs, now()))) lost = true;
    } catch {
      // The lease still has time left; the next tick tries again.
    }
  };
  const timer = setInterval(() => {
    renewing = renewing.then(renew);
  }, ttlMs / LEASE_RENEWALS_PER_TTL);
  // The run keeps the process busy; the timer alone must not.
  timer.unref();

  return {
    get lost() {
      return lost;
    },
    async stop() {
      clearInterval(timer);
      await renewing;
    },
  };
}
