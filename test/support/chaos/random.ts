/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same
 * sequence on every machine, so a chaos case can be replayed from its seed.
 */
export class SeededRandom {
  private state: number;

  /** @param seed any 32-bit integer */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** @returns a number in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);

    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /**
   * @param min smallest value
   * @param max largest value
   * @returns a whole number in [min, max]
   */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /**
   * @param probability chance of true, 0 to 1
   * @returns true with that probability
   */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /**
   * @param items a non-empty list
   * @returns one of them
   */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  /**
   * @param weights each choice with its weight
   * @returns a choice, in proportion to the weights
   */
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [choice, weight] of entries) {
      roll -= weight;
      if (roll < 0) return choice;
    }

    return (entries[entries.length - 1] as [T, number])[0];
  }

  /**
   * @param bytes how many
   * @returns that many random bytes as lower-case hex
   */
  hex(bytes: number): string {
    return Array.from({ length: bytes }, () =>
      this.int(0, 255).toString(16).padStart(2, '0'),
    ).join('');
  }
}

/**
 * The seed of one case, derived from the run's seed so cases are
 * independent of each other's draws.
 *
 * @param seed the run's seed
 * @param caseIndex the case's position
 * @returns a 32-bit seed
 */
export function caseSeed(seed: number, caseIndex: number): number {
  return (
    (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + caseIndex * 0x27d4eb2f) >>> 0
  );
}
