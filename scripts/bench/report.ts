/** Units the bench reports in. */
export type BenchUnit = 's' | 'ms' | 'MB' | 'KB';

/** A target from issue #6 that a row is judged against. */
export type BenchGoal =
  /** Ours divided by mpop's figure must not exceed `max`. */
  | { readonly kind: 'ratio-to-mpop'; readonly max: number }
  /** Ours must not exceed `max`, in the row's unit. */
  | { readonly kind: 'at-most'; readonly max: number };

/**
 * One line of the results table. For the tool columns, `undefined` means
 * the metric does not apply to that tool and `null` that its measurement
 * failed (the notes say why).
 */
export interface BenchRow {
  readonly metric: string;
  readonly unit: BenchUnit;
  readonly ours: number | null;
  readonly mpop?: number | null;
  readonly fetchmail?: number | null;
  readonly goal?: BenchGoal;
  /** Why a figure is missing, or what to keep in mind reading it. */
  readonly notes?: readonly string[];
}

/** A row with its ratio to mpop and whether its goal is met. */
export interface EvaluatedRow extends BenchRow {
  /** Ours divided by mpop; null when either is missing. */
  readonly ratio: number | null;
  /** Null when the row has no goal or the figure needed is missing. */
  readonly met: boolean | null;
}

const COLUMNS = [
  'metric',
  'ours',
  'mpop',
  'fetchmail',
  'ours / mpop',
  'goal',
  'met?',
] as const;

/**
 * Adds the ratio to mpop and the verdict against the row's goal.
 *
 * @param row the measured row
 * @returns the row with `ratio` and `met`
 * @example
 * evaluateRow({ metric: 'x', unit: 's', ours: 3, mpop: 2,
 *   goal: { kind: 'ratio-to-mpop', max: 2 } }).met; // true
 */
export function evaluateRow(row: BenchRow): EvaluatedRow {
  const ratio =
    row.ours !== null && typeof row.mpop === 'number' && row.mpop > 0
      ? row.ours / row.mpop
      : null;
  const goal = row.goal;
  let met: boolean | null = null;
  if (goal?.kind === 'ratio-to-mpop' && ratio !== null) {
    met = ratio <= goal.max;
  } else if (goal?.kind === 'at-most' && row.ours !== null) {
    met = row.ours <= goal.max;
  }

  return { ...row, ratio, met };
}

/**
 * Formats a figure with the precision its unit deserves.
 *
 * @param value the figure; null for a failed measurement, undefined for n/a
 * @param unit its unit
 * @returns e.g. `1.53 s`, `87 ms`, `failed`, `—`
 */
export function formatValue(
  value: number | null | undefined,
  unit: BenchUnit,
): string {
  if (value === undefined) return '—';
  if (value === null) return 'failed';
  const digits = unit === 's' ? 2 : unit === 'MB' ? 1 : 0;

  return `${value.toFixed(digits)} ${unit}`;
}

/**
 * Describes a goal the way the issue states it.
 *
 * @param goal the goal, if any
 * @param unit the row's unit
 * @returns e.g. `≤ 2.0 × mpop`, `≤ 200 MB`, or `—`
 */
export function formatGoal(goal: BenchGoal | undefined, unit: BenchUnit) {
  if (!goal) return '—';
  if (goal.kind === 'ratio-to-mpop') return `≤ ${goal.max.toFixed(1)} × mpop`;

  return `≤ ${goal.max} ${unit}`;
}

/**
 * Renders the rows as a padded Markdown table, readable in a terminal and
 * pasteable into the README.
 *
 * @param rows the evaluated rows
 * @returns the table, one line per row plus header and separator
 */
export function formatTable(rows: readonly EvaluatedRow[]): string {
  const cells = rows.map((row) => [
    row.metric,
    formatValue(row.ours, row.unit),
    formatValue(row.mpop, row.unit),
    formatValue(row.fetchmail, row.unit),
    row.ratio === null ? '—' : `${row.ratio.toFixed(2)} ×`,
    formatGoal(row.goal, row.unit),
    row.met === null ? '—' : row.met ? 'yes' : 'no',
  ]);
  const widths = COLUMNS.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column]?.length ?? 0)),
  );
  const render = (line: readonly string[]) =>
    `| ${line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;

  return [render(COLUMNS), separator, ...cells.map(render)].join('\n');
}

/**
 * Lists every row's notes under the metric they belong to.
 *
 * @param rows the rows
 * @returns one `- metric: note` line per note
 */
export function formatNotes(rows: readonly BenchRow[]): string {
  return rows
    .flatMap((row) =>
      (row.notes ?? []).map((note) => `- ${row.metric}: ${note}`),
    )
    .join('\n');
}
