import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import { DynamoLeaseStore } from '../../../functions/store/dynamo-lease-store.js';
import { MAILBOXES_TABLE } from '../../../functions/store/tables.js';
import { type DynaliteFixture, startDynalite } from './dynalite-fixture.js';

const TTL_MS = 60_000;
const T0 = new Date('2026-12-01T10:00:00.000Z');

function later(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

describe('DynamoLeaseStore', () => {
  let db: DynaliteFixture;
  let leases: DynamoLeaseStore;

  beforeAll(async () => {
    db = await startDynalite();
    leases = new DynamoLeaseStore(db.client, MAILBOXES_TABLE.localName);
  });

  afterAll(async () => {
    await db.stop();
  });

  describe('acquire', () => {
    it('takes a free lease', async () => {
      const result = await leases.acquire('mbx-free', 'run-1', TTL_MS, T0);

      expect(result).toEqual({ acquired: true });
      expect(await leases.holder('mbx-free', T0)).toBe('run-1');
    });

    it('returns the existing holder when an unexpired lease is held by another run', async () => {
      await leases.acquire('mbx-held', 'run-1', TTL_MS, T0);

      const result = await leases.acquire(
        'mbx-held',
        'run-2',
        TTL_MS,
        later(1),
      );

      expect(result).toEqual({ acquired: false, holderRunId: 'run-1' });
    });

    it('takes over a lease whose holder let it expire', async () => {
      await leases.acquire('mbx-expired', 'run-1', TTL_MS, T0);

      const result = await leases.acquire(
        'mbx-expired',
        'run-2',
        TTL_MS,
        later(TTL_MS),
      );

      expect(result).toEqual({ acquired: true, tookOverFrom: 'run-1' });
      expect(await leases.holder('mbx-expired', later(TTL_MS))).toBe('run-2');
    });

    it('succeeds again for the run that holds the lease and extends it', async () => {
      await leases.acquire('mbx-again', 'run-1', TTL_MS, T0);

      const result = await leases.acquire(
        'mbx-again',
        'run-1',
        TTL_MS,
        later(TTL_MS / 2),
      );

      expect(result).toEqual({ acquired: true });
      expect(await leases.holder('mbx-again', later(TTL_MS + 1))).toBe('run-1');
    });

    it('throws ValidationError naming ttlMs when it is not positive', async () => {
      const attempt = leases.acquire('mbx-ttl', 'run-1', 0, T0);

      await expect(attempt).rejects.toMatchObject({ field: 'ttlMs' });
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('renew', () => {
    it('extends the lease of the holding run', async () => {
      await leases.acquire('mbx-renew', 'run-1', TTL_MS, T0);

      const renewed = await leases.renew(
        'mbx-renew',
        'run-1',
        TTL_MS,
        later(TTL_MS - 1),
      );

      expect(renewed).toBe(true);
      expect(await leases.holder('mbx-renew', later(TTL_MS + 1))).toBe('run-1');
    });

    it('returns false when another run holds the lease', async () => {
      await leases.acquire('mbx-renew-other', 'run-1', TTL_MS, T0);

      const renewed = await leases.renew(
        'mbx-renew-other',
        'run-2',
        TTL_MS,
        T0,
      );

      expect(renewed).toBe(false);
      expect(await leases.holder('mbx-renew-other', T0)).toBe('run-1');
    });

    it('returns false when there is no lease', async () => {
      expect(await leases.renew('mbx-none', 'run-1', TTL_MS, T0)).toBe(false);
    });
  });

  describe('release', () => {
    it('frees the lease when the holding run gives it up', async () => {
      await leases.acquire('mbx-release', 'run-1', TTL_MS, T0);

      await leases.release('mbx-release', 'run-1');

      expect(await leases.holder('mbx-release', T0)).toBeUndefined();
    });

    it('leaves the lease alone when another run tries to give it up', async () => {
      await leases.acquire('mbx-release-other', 'run-1', TTL_MS, T0);

      await leases.release('mbx-release-other', 'run-2');

      expect(await leases.holder('mbx-release-other', T0)).toBe('run-1');
    });
  });

  describe('holder', () => {
    it('ignores an expired lease', async () => {
      await leases.acquire('mbx-stale', 'run-1', TTL_MS, T0);

      expect(await leases.holder('mbx-stale', later(TTL_MS))).toBeUndefined();
    });
  });
});
