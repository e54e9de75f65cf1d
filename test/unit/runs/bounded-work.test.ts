import { describe, expect, it } from 'vitest';
import {
  chunked,
  createSlots,
  forEachBounded,
} from '../../../functions/runs/bounded-work.js';

describe('bounded work', () => {
  it('chunked splits a list into pieces of at most the size, in order', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 25)).toEqual([]);
  });

  it('createSlots makes the next taker wait until a slot is given back', async () => {
    const slots = createSlots(2);
    await slots.take();
    await slots.take();
    let third = false;
    const waiting = slots.take().then(() => {
      third = true;
    });

    await Promise.resolve();
    expect(third).toBe(false);
    slots.give();
    await waiting;

    expect(third).toBe(true);
  });

  it('forEachBounded works on every item with at most the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];

    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      done.push(item);
      running -= 1;
    });

    expect(most).toBe(3);
    expect([...done].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
