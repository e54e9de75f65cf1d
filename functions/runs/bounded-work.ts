/**
 * Small helpers that keep a fixed amount of asynchronous work in flight.
 */

/** Slots of a counting semaphore. */
export interface Slots {
  /** Resolves once a slot is free, and takes it. */
  take(): Promise<void>;
  /** Frees a slot, or hands it straight to the longest waiter. */
  give(): void;
}

/**
 * A counting semaphore.
 *
 * @param limit how many slots there are
 * @returns the slots, all free
 * @example
 * const slots = createSlots(4);
 * await slots.take();
 * work().finally(slots.give);
 */
export function createSlots(limit: number): Slots {
  let free = limit;
  const waiting: (() => void)[] = [];

  return {
    take: async () => {
      if (free > 0) {
        free -= 1;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give: () => {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    },
  };
}

/**
 * Splits a list into consecutive pieces.
 *
 * @param items the list
 * @param size the most items a piece holds
 * @returns the pieces, in order; the last may be shorter
 */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }

  return result;
}

/**
 * Runs `work` for every item, at most `limit` at a time, in list order.
 *
 * @param items what to work on
 * @param limit how many items are worked on at once
 * @param work the work for one item; a rejection rejects the whole call
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}
