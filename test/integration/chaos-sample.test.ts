import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/commons/powertools/logger.js';
import { localRuntimeLogger } from '../../lib/local/http-support.js';
import { FAULT_KINDS, planChaosCases } from '../support/chaos/chaos-plan.js';
import {
  type CaseReport,
  runChaosCase,
} from '../support/chaos/chaos-runner.js';
import { totalChaos } from '../support/chaos/chaos-summary.js';
import {
  type ChaosWorld,
  startChaosWorld,
} from '../support/chaos/chaos-world.js';

/**
 * Fixed, so `npm test` replays the same cases every time; `npm run chaos`
 * draws a new seed per run (and takes `--seed` to replay one).
 */
const SAMPLE_SEED = 20_261_204;

/**
 * Every fault kind once, then weighted draws (some cases add a second
 * fault to the run that recovers from the first): about a minute.
 */
const SAMPLE_CASES = 24;

const cases = planChaosCases(SAMPLE_SEED, SAMPLE_CASES);

describe(`a seeded chaos sample (seed ${SAMPLE_SEED}, ${SAMPLE_CASES} cases)`, () => {
  let world: ChaosWorld;
  const reports: CaseReport[] = [];

  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    localRuntimeLogger.setLogLevel('SILENT');
    world = await startChaosWorld(SAMPLE_CASES);
  });

  afterAll(async () => {
    await world?.stop();
  });

  it.each(
    cases.map(
      (chaosCase) =>
        [chaosCase.index, chaosCase.faults[0]?.kind, chaosCase] as const,
    ),
  )(
    'case %i (%s) accounts for every message exactly once',
    async (_index, _kind, chaosCase) => {
      const report = await runChaosCase(world, chaosCase);
      reports.push(report);

      expect(report.verdict, report.description).toEqual({
        lost: [],
        duplicated: [],
        stuck: [],
        phantom: [],
      });
    },
    60_000,
  );

  it('met every kind of fault at least once', () => {
    const totals = totalChaos(reports, 0);

    expect(Object.keys(totals.triggered).sort()).toEqual(
      [...FAULT_KINDS].sort(),
    );
  });
});
