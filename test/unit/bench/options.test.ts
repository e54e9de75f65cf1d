import { describe, expect, it } from 'vitest';
import {
  FULL_MESSAGES,
  FULL_TIME_LIMIT_S,
  parseBenchOptions,
  QUICK_MESSAGES,
} from '../../../scripts/bench/options.js';

describe('parseBenchOptions', () => {
  it('measures the issue figures when no flag is given', () => {
    const options = parseBenchOptions([]);

    expect(options.messages).toBe(FULL_MESSAGES);
    expect(options.timeLimitS).toBe(FULL_TIME_LIMIT_S);
    expect(options.profile).toBe(false);
  });

  it('shortens the run with --quick and lets --messages override it', () => {
    expect(parseBenchOptions(['--quick']).messages).toBe(QUICK_MESSAGES);
    expect(parseBenchOptions(['--quick', '--messages', '50']).messages).toBe(
      50,
    );
  });

  it('reads --profile and --time-limit', () => {
    const options = parseBenchOptions(['--profile', '--time-limit', '90']);

    expect(options.profile).toBe(true);
    expect(options.timeLimitS).toBe(90);
  });

  it('throws naming the flag when a value is missing or not a whole number', () => {
    expect(() => parseBenchOptions(['--messages'])).toThrow(/--messages/);
    expect(() => parseBenchOptions(['--time-limit', '1.5'])).toThrow(
      /--time-limit/,
    );
  });

  it('throws on an unknown argument', () => {
    expect(() => parseBenchOptions(['--fast'])).toThrow(/unknown argument/);
  });
});
