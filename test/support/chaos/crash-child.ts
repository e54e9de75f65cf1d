/**
 * A techmail run in a process of its own, to be killed mid-run. It runs
 * one queued run with the production code and stops dead at a chosen SDK
 * call (before it is sent, or after its answer came), prints
 * `{"event":"halted"}` and waits for the parent's SIGKILL. Started by
 * {@link runCrashChild} with its input as the only argument.
 */
import { readFileSync } from 'node:fs';
import { logger } from '../../../functions/commons/powertools/logger.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { runMailbox } from '../../../functions/techmail/run-mailbox.js';
import { SdkFaultInjector, type SdkFaultPlan } from '../sdk-faults.js';
import {
  buildStores,
  CHAOS_LEASE_TTL_MS,
  type ChaosEndpoints,
  chaosConfig,
  connectWithCa,
} from './chaos-world.js';

/** What the parent hands the child. */
export interface CrashChildInput {
  readonly endpoints: ChaosEndpoints;
  readonly request: RunRequest;
  /** PEM file of the test CA. */
  readonly caPath: string;
  readonly halt: Pick<SdkFaultPlan, 'action' | 'fromCall'>;
}

function say(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const input = JSON.parse(process.argv[2] ?? '{}') as CrashChildInput;
logger.setLogLevel('SILENT');
const faults = new SdkFaultInjector((call) => {
  say({ event: 'halted', call: call.index, command: call.command });
  // Keeps the process alive until the parent kills it.
  setInterval(() => undefined, 60_000);
});
const { stores, destroy } = buildStores(input.endpoints, chaosConfig(), faults);
const caPem = readFileSync(input.caPath, 'utf8');
faults.arm(input.halt);

const { run } = await runMailbox(input.request, {
  ...stores,
  connect: (mailbox, password) => connectWithCa(mailbox, password, caPem),
  remainingTimeMs: () => 600_000,
  leaseTtlMs: CHAOS_LEASE_TTL_MS,
  now: () => new Date(),
});
say({ event: 'finished', status: run.status, calls: faults.calls.length });
destroy();
