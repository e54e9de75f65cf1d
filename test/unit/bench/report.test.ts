import { describe, expect, it } from 'vitest';
import {
  type BenchRow,
  evaluateRow,
  formatGoal,
  formatNotes,
  formatTable,
  formatValue,
} from '../../../scripts/bench/report.js';

const RETRIEVAL: BenchRow = {
  metric: 'retrieve 2302 messages, loopback',
  unit: 's',
  ours: 3,
  mpop: 1.5,
  fetchmail: 4.2,
  goal: { kind: 'ratio-to-mpop', max: 2 },
};

describe('evaluateRow', () => {
  it('meets a ratio goal when ours is at most that many times mpop', () => {
    const row = evaluateRow(RETRIEVAL);

    expect(row.ratio).toBe(2);
    expect(row.met).toBe(true);
  });

  it('misses a ratio goal when ours is slower than allowed', () => {
    const row = evaluateRow({ ...RETRIEVAL, ours: 3.3 });

    expect(row.met).toBe(false);
  });

  it('judges an absolute goal on ours alone', () => {
    const row = evaluateRow({
      metric: 'peak RSS growth',
      unit: 'MB',
      ours: 240,
      goal: { kind: 'at-most', max: 200 },
    });

    expect(row.ratio).toBeNull();
    expect(row.met).toBe(false);
  });

  it('gives no verdict when a figure the goal needs is missing', () => {
    expect(evaluateRow({ ...RETRIEVAL, mpop: null }).met).toBeNull();
    expect(evaluateRow({ ...RETRIEVAL, ours: null }).met).toBeNull();
  });
});

describe('formatValue', () => {
  it('shows seconds with two decimals and milliseconds with none', () => {
    expect(formatValue(1.534, 's')).toBe('1.53 s');
    expect(formatValue(87.4, 'ms')).toBe('87 ms');
  });

  it('tells a failed measurement from one that does not apply', () => {
    expect(formatValue(null, 's')).toBe('failed');
    expect(formatValue(undefined, 's')).toBe('—');
  });
});

describe('formatGoal', () => {
  it('states ratio and absolute goals as the issue does', () => {
    expect(formatGoal({ kind: 'ratio-to-mpop', max: 1 }, 's')).toBe(
      '≤ 1.0 × mpop',
    );
    expect(formatGoal({ kind: 'at-most', max: 200 }, 'MB')).toBe('≤ 200 MB');
  });
});

describe('formatTable', () => {
  it('renders a Markdown table with every column padded to one width', () => {
    const table = formatTable([evaluateRow(RETRIEVAL)]);
    const lines = table.split('\n');

    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\| metric +\| ours +\| mpop/);
    expect(lines[2]).toContain('| 3.00 s |');
    expect(lines[2]).toContain('| 2.00 × ');
    expect(lines[2]).toContain('| yes  |');
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });
});

describe('formatNotes', () => {
  it('lists each note under its metric', () => {
    const notes = formatNotes([
      { ...RETRIEVAL, notes: ['fetchmail failed: timed out'] },
    ]);

    expect(notes).toBe(
      '- retrieve 2302 messages, loopback: fetchmail failed: timed out',
    );
  });
});
