import type { BundleTiming } from './bundles.js';
import type { FanOutTiming } from './fan-out.js';
import type { PeakRss } from './peak-rss.js';
import type { BenchRow } from './report.js';

/** Issue #6: peak RSS growth for the large message. */
export const MAX_RSS_GROWTH_MB = 200;

/** Issue #6: the fan-out of 1000 mailboxes. */
export const MAX_FAN_OUT_S = 2;

/** Issue #6: cold import of the techmail bundle. */
export const MAX_TECHMAIL_IMPORT_MS = 150;

const MIB = 2 ** 20;

/**
 * The table row of the peak RSS measurement.
 *
 * @param peak what the measurement found
 * @returns the row, its note giving baseline, peak, method and outcome
 */
export function peakRssRow(peak: PeakRss): BenchRow {
  const mib = (bytes: number) => (bytes / MIB).toFixed(0);

  return {
    metric: `peak RSS growth, one ${mib(peak.messageBytes)} MB message`,
    unit: 'MB',
    ours: peak.growthBytes / MIB,
    goal: { kind: 'at-most', max: MAX_RSS_GROWTH_MB },
    notes: [
      `baseline ${mib(peak.baselineBytes)} MB, peak ${mib(peak.peakBytes)} MB (${peak.method}); run ${peak.seconds.toFixed(1)} s; outcome: ${peak.outcome}`,
    ],
  };
}

/**
 * The table row of the fan-out measurement; no figure unless every mailbox
 * was queued and invoked.
 *
 * @param fanOut what the measurement found
 * @param mailboxes how many mailboxes were meant to be dispatched
 * @param delayMs the Invoke stand-in's delay
 * @returns the row
 */
export function fanOutRow(
  fanOut: FanOutTiming,
  mailboxes: number,
  delayMs: number,
): BenchRow {
  const complete =
    fanOut.queued === mailboxes && fanOut.invocations === mailboxes;

  return {
    metric: `fan-out: ${mailboxes} mailboxes, Invoke answers in ${delayMs} ms`,
    unit: 's',
    ours: complete ? fanOut.seconds : null,
    goal: { kind: 'at-most', max: MAX_FAN_OUT_S },
    notes: [
      `list ${fanOut.listSeconds.toFixed(2)} s + dispatch ${fanOut.dispatchSeconds.toFixed(2)} s, CPU ${fanOut.cpuSeconds.toFixed(2)} s (dispatcher and in-process dynalite); ${fanOut.queued} queued, ${fanOut.failed} failed, ${fanOut.invocations} Invokes, at most ${fanOut.peakInFlight} at once (floor from Invoke alone ${fanOut.invokeFloorSeconds.toFixed(2)} s)`,
    ],
  };
}

/**
 * One row per bundle; only the techmail bundle has a goal.
 *
 * @param bundles sizes and import times
 * @param runs imports per bundle, for the metric's name
 * @returns the rows, in the order given
 */
export function bundleRows(
  bundles: readonly BundleTiming[],
  runs: number,
): BenchRow[] {
  return bundles.map((bundle) => ({
    metric: `${bundle.entry} bundle (${(bundle.bytes / 1024).toFixed(0)} KB): cold import, median of ${runs}`,
    unit: 'ms',
    ours: bundle.importMs,
    goal:
      bundle.entry === 'techmail.ts'
        ? { kind: 'at-most', max: MAX_TECHMAIL_IMPORT_MS }
        : undefined,
    notes: [
      `CPU ${bundle.importCpuMs.toFixed(0)} ms`,
      `with --enable-source-maps ${bundle.importMsWithSourceMaps.toFixed(0)} ms`,
    ],
  }));
}
