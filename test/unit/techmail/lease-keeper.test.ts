import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepLease } from '../../../functions/techmail/lease-keeper.js';
import { startTestStores, type TestStores } from '../../support/stores.js';

const TTL_MS = 300;

describe('keepLease', () => {
  let stores: TestStores;

  beforeAll(async () => {
    stores = await startTestStores();
  });

  afterAll(async () => {
    await stores.stop();
  });

  it('keeps the lease for longer than one lease period while the run works (regression: it lapsed during one slow message)', async () => {
    const now = () => new Date();
    await stores.leases.acquire('mbx-keep', 'run-1', TTL_MS, now());
    const keeper = keepLease(stores.leases, 'mbx-keep', 'run-1', TTL_MS, now);

    await sleep(4 * TTL_MS);
    const rival = await stores.leases.acquire(
      'mbx-keep',
      'run-2',
      TTL_MS,
      now(),
    );
    await keeper.stop();

    expect(rival.acquired).toBe(false);
    expect(keeper.lost).toBe(false);
  });

  it('reports the lease lost once another run holds it', async () => {
    const now = () => new Date();
    await stores.leases.acquire('mbx-lost', 'run-1', TTL_MS, now());
    const keeper = keepLease(stores.leases, 'mbx-lost', 'run-1', TTL_MS, now);
    await stores.leases.release('mbx-lost', 'run-1');
    await stores.leases.acquire('mbx-lost', 'run-2', 60_000, now());

    await sleep(TTL_MS);
    await keeper.stop();

    expect(keeper.lost).toBe(true);
    expect(await stores.leases.holder('mbx-lost', now())).toBe('run-2');
  });
});
