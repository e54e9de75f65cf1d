import type { CaseReport } from './chaos-runner.js';

/** Totals of a chaos run. */
export interface ChaosTotals {
  readonly cases: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly stuck: number;
  readonly phantom: number;
  /** Cases the harness itself could not complete. */
  readonly errors: number;
  /** Faults that took effect, by kind. */
  readonly triggered: Record<string, number>;
}

/**
 * Adds up the verdicts of the cases.
 *
 * @param reports one per finished case
 * @param errors cases that ended in a harness error
 * @returns the totals
 */
export function totalChaos(
  reports: readonly CaseReport[],
  errors: number,
): ChaosTotals {
  const triggered: Record<string, number> = {};
  for (const report of reports) {
    for (const kind of report.triggered) {
      triggered[kind] = (triggered[kind] ?? 0) + 1;
    }
  }
  const sum = (pick: (report: CaseReport) => readonly unknown[]) =>
    reports.reduce((total, report) => total + pick(report).length, 0);

  return {
    cases: reports.length + errors,
    lost: sum((r) => r.verdict.lost),
    duplicated: sum((r) => r.verdict.duplicated),
    stuck: sum((r) => r.verdict.stuck),
    phantom: sum((r) => r.verdict.phantom),
    errors,
    triggered,
  };
}

/**
 * Whether a case broke the exactly-once promise in any way.
 *
 * @param report the case
 * @returns true when any verdict list is non-empty
 */
export function caseFailed(report: CaseReport): boolean {
  const { lost, duplicated, stuck, phantom } = report.verdict;

  return lost.length + duplicated.length + stuck.length + phantom.length > 0;
}
