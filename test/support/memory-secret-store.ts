import { NotFoundError } from '../../functions/commons/errors.js';
import type { SecretStore } from '../../functions/store/ports.js';

/** One password read, as the fake recorded it. */
export interface PasswordRead {
  readonly secretName: string;
  readonly forceFetch: boolean;
}

/**
 * A {@link SecretStore} with a cache that behaves like the real one: a read
 * returns the cached value until `forceFetch` asks for the current one.
 * `rotate` changes the current value behind the cache's back, the way an
 * admin rotating the password in Secrets Manager does.
 */
export class MemorySecretStore implements SecretStore {
  /** Every getPassword call, in order. */
  readonly reads: PasswordRead[] = [];
  private readonly current = new Map<string, string>();
  private readonly cached = new Map<string, string>();

  async getPassword(
    secretName: string,
    options: { forceFetch?: boolean } = {},
  ): Promise<string> {
    const forceFetch = options.forceFetch ?? false;
    this.reads.push({ secretName, forceFetch });
    if (forceFetch || !this.cached.has(secretName)) {
      const value = this.current.get(secretName);
      if (value === undefined) throw new NotFoundError('secret', secretName);
      this.cached.set(secretName, value);
    }

    return this.cached.get(secretName) as string;
  }

  async putPassword(secretName: string, password: string): Promise<void> {
    this.current.set(secretName, password);
    this.cached.delete(secretName);
  }

  async deletePassword(secretName: string): Promise<void> {
    this.current.delete(secretName);
    this.cached.delete(secretName);
  }

  /**
   * Replaces the stored password without touching the cache.
   *
   * @param secretName the secret
   * @param password the new value
   */
  rotate(secretName: string, password: string): void {
    this.current.set(secretName, password);
  }

  /**
   * @param secretName the secret
   * @returns whether the secret exists
   */
  has(secretName: string): boolean {
    return this.current.has(secretName);
  }
}
