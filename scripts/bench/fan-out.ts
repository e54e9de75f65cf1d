import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  DISPATCH_CONCURRENCY,
  dispatchRuns,
} from '../../functions/runs/dispatch-runs.js';
import { lambdaInvoker } from '../../functions/runs/lambda-invoker.js';
import {
  addMailbox,
  startTestStores,
  TEST_AWS,
} from '../../test/support/stores.js';
import { LOOPBACK } from './retrieval.js';

/** Mailboxes created at once while setting up (not timed). */
const SETUP_CONCURRENCY = 16;

/** What dispatching every mailbox took. */
export interface FanOutTiming {
  readonly mailboxes: number;
  /** Listing the mailboxes plus dispatching them, as the handler does. */
  readonly seconds: number;
  readonly listSeconds: number;
  readonly dispatchSeconds: number;
  /** CPU time of this process (dispatcher and dynalite) meanwhile. */
  readonly cpuSeconds: number;
  readonly queued: number;
  readonly failed: number;
  /** Invoke requests the stand-in answered. */
  readonly invocations: number;
  /** Most Invoke requests the stand-in held at once. */
  readonly peakInFlight: number;
  /** Lower bound from the Invoke delay alone at the dispatch concurrency. */
  readonly invokeFloorSeconds: number;
}

/** An Invoke stand-in that answers `202` after a fixed delay. */
interface InvokeStandIn {
  readonly endpoint: string;
  readonly invocations: number;
  readonly peakInFlight: number;
  stop(): Promise<void>;
}

/**
 * Times the scheduled fan-out's work: list every mailbox and dispatch a run
 * for each with `dispatchRuns` (lease, run record, async Invoke), with the
 * production stores on in-process dynalite and the production Lambda
 * invoker pointed at a stand-in on 127.0.0.1 that answers after `delayMs`.
 *
 * @param mailboxes how many enabled mailboxes to create
 * @param delayMs the stand-in's answer delay
 * @returns wall times, counts and the stand-in's view
 */
export async function measureFanOut(
  mailboxes: number,
  delayMs: number,
): Promise<FanOutTiming> {
  const stores = await startTestStores();
  const standIn = await startInvokeStandIn(delayMs);
  const client = new LambdaClient({ ...TEST_AWS, endpoint: standIn.endpoint });
  try {
    await createMailboxes(stores, mailboxes);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const listed = await stores.mailboxes.list();
    const afterList = performance.now();
    const result = await dispatchRuns(listed, 'schedule', {
      runs: stores.runs,
      leases: stores.leases,
      invoke: lambdaInvoker(client, 'techmail'),
      leaseTtlMs: 900_000,
      now: () => new Date(),
    });
    const finished = performance.now();
    const cpu = process.cpuUsage(cpuBefore);

    return {
      mailboxes: listed.length,
      seconds: (finished - started) / 1000,
      listSeconds: (afterList - started) / 1000,
      dispatchSeconds: (finished - afterList) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      queued: result.dispatched.filter((run) => run.status === 'queued').length,
      failed: result.failed.length,
      invocations: standIn.invocations,
      peakInFlight: standIn.peakInFlight,
      invokeFloorSeconds:
        (Math.ceil(mailboxes / DISPATCH_CONCURRENCY) * delayMs) / 1000,
    };
  } finally {
    client.destroy();
    await standIn.stop();
    await stores.stop();
  }
}

async function createMailboxes(
  stores: Parameters<typeof addMailbox>[0],
  count: number,
): Promise<void> {
  for (let done = 0; done < count; done += SETUP_CONCURRENCY) {
    const batch = Math.min(SETUP_CONCURRENCY, count - done);
    await Promise.all(Array.from({ length: batch }, () => addMailbox(stores)));
  }
}

async function startInvokeStandIn(delayMs: number): Promise<InvokeStandIn> {
  let invocations = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const server: Server = createServer((request, response) => {
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    request.resume();
    request.once('end', () => {
      setTimeout(() => {
        invocations += 1;
        inFlight -= 1;
        // An Event invocation: accepted, no payload.
        response.writeHead(202, { 'content-length': '0' }).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    get invocations() {
      return invocations;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
