import { type Duration, Token } from 'aws-cdk-lib';

/**
 * A construct prop that cannot work on AWS. The message names the prop and
 * says what values it takes, so the fix is obvious from `cdk synth` output.
 */
export class InvalidPropError extends Error {
  /**
   * @param prop the prop's name, as the caller spells it
   * @param message what is wrong and what to pass instead
   */
  constructor(
    readonly prop: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidPropError';
  }
}

/**
 * Checks that a number is a whole number within bounds. Tokens pass: they
 * are only known at deploy time.
 *
 * @param prop the prop's name
 * @param value the value given
 * @param min smallest accepted value
 * @param max largest accepted value
 * @returns the value
 * @throws InvalidPropError naming the prop
 * @example
 * assertIntegerInRange('techmailMemorySize', 1024, 128, 10_240);
 */
export function assertIntegerInRange(
  prop: string,
  value: number,
  min: number,
  max: number,
): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidPropError(
      prop,
      `${prop} must be a whole number from ${min} to ${max}; got ${value}`,
    );
  }

  return value;
}

/**
 * Checks that a duration is a whole number of days within bounds, as S3
 * lifecycle rules require.
 *
 * @param prop the prop's name
 * @param value the duration given
 * @param minDays fewest days accepted
 * @returns the duration
 * @throws InvalidPropError naming the prop
 */
export function assertWholeDays(
  prop: string,
  value: Duration,
  minDays: number,
): Duration {
  const days = value.toDays({ integral: false });
  if (!Number.isInteger(days) || days < minDays) {
    throw new InvalidPropError(
      prop,
      `${prop} must be a whole number of days, at least ${minDays}; use Duration.days(n)`,
    );
  }

  return value;
}

/**
 * Checks a duration against bounds given in seconds.
 *
 * @param prop the prop's name
 * @param value the duration given
 * @param minSeconds shortest accepted duration
 * @param maxSeconds longest accepted duration
 * @returns the duration
 * @throws InvalidPropError naming the prop
 */
export function assertDurationInRange(
  prop: string,
  value: Duration,
  minSeconds: number,
  maxSeconds: number,
): Duration {
  const seconds = value.toSeconds({ integral: false });
  if (
    !Number.isInteger(seconds) ||
    seconds < minSeconds ||
    seconds > maxSeconds
  ) {
    throw new InvalidPropError(
      prop,
      `${prop} must be whole seconds from ${minSeconds} s to ${maxSeconds} s; got ${seconds} s`,
    );
  }

  return value;
}

/**
 * Checks a string against a pattern. Tokens pass.
 *
 * @param prop the prop's name
 * @param value the string given
 * @param pattern what the string must match
 * @param hint what a valid value looks like
 * @returns the string
 * @throws InvalidPropError naming the prop
 */
export function assertMatches(
  prop: string,
  value: string,
  pattern: RegExp,
  hint: string,
): string {
  if (Token.isUnresolved(value)) return value;
  if (!pattern.test(value)) {
    throw new InvalidPropError(prop, `${prop} ${hint}; got '${value}'`);
  }

  return value;
}
