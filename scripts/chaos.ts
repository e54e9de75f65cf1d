/**
 * Randomised fault injection against the whole mail path, on 127.0.0.1
 * only: a private Dovecot behind a fault proxy, the local DynamoDB, S3 and
 * Secrets Manager stand-ins behind fault-injecting SDK clients, and crash
 * children that are SIGKILLed mid-run. Each case runs a mailbox once with
 * a fault, then without faults until it is empty, and checks that every
 * delivered message was stored exactly once.
 *
 *   npm run chaos -- [--seed <n>] [--cases <n>] [--only <case>] [--verbose]
 *
 * Prints the seed first and lost / duplicated / stuck counts last; exits
 * non-zero unless all are 0.
 */
import { parseArgs } from 'node:util';
import { logger } from '../functions/commons/powertools/logger.js';
import { localRuntimeLogger } from '../lib/local/http-support.js';
import { planChaosCases } from '../test/support/chaos/chaos-plan.js';
import {
  type CaseReport,
  runChaosCase,
} from '../test/support/chaos/chaos-runner.js';
import { caseFailed, totalChaos } from '../test/support/chaos/chaos-summary.js';
import { startChaosWorld } from '../test/support/chaos/chaos-world.js';

const DEFAULT_CASES = 200;
/** Most cases one invocation accepts: one Dovecot account each. */
const MAX_CASES = 2_000;

interface ChaosOptions {
  seed: number;
  cases: number;
  only?: number;
  verbose: boolean;
}

function readOptions(): ChaosOptions {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      cases: { type: 'string' },
      only: { type: 'string' },
      verbose: { type: 'boolean' },
    },
  });
  const seed =
    values.seed === undefined
      ? Math.floor(Math.random() * 2 ** 31)
      : Number(values.seed);
  const cases =
    values.cases === undefined ? DEFAULT_CASES : Number(values.cases);
  const only = values.only === undefined ? undefined : Number(values.only);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error('--seed must be a whole number from 0');
  }
  if (!Number.isInteger(cases) || cases < 1 || cases > MAX_CASES) {
    throw new Error(`--cases must be a whole number from 1 to ${MAX_CASES}`);
  }
  if (
    only !== undefined &&
    !(Number.isInteger(only) && only >= 0 && only < cases)
  ) {
    throw new Error('--only must name a case below --cases');
  }

  return { seed, cases, only, verbose: values.verbose ?? false };
}

function printCase(report: CaseReport): void {
  const { lost, duplicated, stuck, phantom } = report.verdict;
  console.log(
    `FAIL ${report.description} runs=${report.runs.join(',')} lost=${JSON.stringify(lost)} duplicated=${JSON.stringify(duplicated)} stuck=${JSON.stringify(stuck)} phantom=${JSON.stringify(phantom)}`,
  );
}

async function main(): Promise<number> {
  const options = readOptions();
  const started = Date.now();
  console.log(`chaos: seed ${options.seed}, ${options.cases} cases`);
  // Product warnings (failed runs are the point here) would drown the report.
  logger.setLogLevel('SILENT');
  localRuntimeLogger.setLogLevel('SILENT');
  const planned = planChaosCases(options.seed, options.cases);
  const selected =
    options.only === undefined
      ? planned
      : planned.filter((c) => c.index === options.only);
  const world = await startChaosWorld(options.cases);
  const reports: CaseReport[] = [];
  let errors = 0;
  try {
    for (const chaosCase of selected) {
      try {
        const report = await runChaosCase(world, chaosCase);
        reports.push(report);
        if (caseFailed(report)) printCase(report);
        else if (options.verbose) {
          console.log(
            `ok   ${report.description} runs=${report.runs.join(',')} triggered=${report.triggered.join('+') || 'none'} ${report.durationMs} ms`,
          );
        }
      } catch (error) {
        errors += 1;
        console.log(`ERROR case ${chaosCase.index}: ${String(error)}`);
      }
      if (reports.length % 20 === 0) {
        console.log(`  ${reports.length + errors}/${selected.length} cases`);
      }
    }
  } finally {
    await world.stop();
  }
  const totals = totalChaos(reports, errors);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`faults that took effect: ${JSON.stringify(totals.triggered)}`);
  console.log(
    `chaos: seed ${options.seed}, ${totals.cases} cases in ${seconds} s: lost ${totals.lost}, duplicated ${totals.duplicated}, stuck ${totals.stuck}, phantom ${totals.phantom}, harness errors ${totals.errors}`,
  );
  const clean =
    totals.lost + totals.duplicated + totals.stuck + totals.phantom + errors;

  return clean === 0 ? 0 : 1;
}

process.exitCode = await main();
