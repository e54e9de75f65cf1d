import {
  GetParameterError,
  ParameterNotFoundError,
} from '@aws-lambda-powertools/parameters';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { NotFoundError, ValidationError } from '../commons/errors.js';
import { toStoreError } from './errors.js';
import type { SecretStore } from './ports.js';

/**
 * How long a fetched password is reused. Every run of every mailbox needs
 * one, so caching spares Secrets Manager calls; a rotated password is
 * picked up on the next authentication failure, which fetches with
 * `forceFetch`.
 */
export const PASSWORD_CACHE_SECONDS = 300;

/** Secrets Manager's bounds on a deletion recovery window, in days. */
const RECOVERY_WINDOW_DAYS = { min: 7, max: 30 } as const;

/** Options of {@link SecretsManagerStore}. */
export interface SecretsManagerStoreOptions {
  /**
   * Days a deleted password stays recoverable (7 to 30). Without it the
   * secret is deleted at once: it is deleted together with its mailbox,
   * whose id is never reused, so a recoverable copy would be an orphan that
   * also keeps the name reserved. Set it when ops want an undo.
   * @default undefined (no recovery window)
   */
  readonly recoveryWindowDays?: number;
}

/**
 * Mailbox passwords in Secrets Manager, one secret per mailbox under the
 * service's prefix. Passwords never appear in errors.
 */
export class SecretsManagerStore implements SecretStore {
  private readonly provider: SecretsProvider;
  private readonly recoveryWindowDays: number | undefined;

  /**
   * @param client the Secrets Manager client
   * @param secretPrefix the only prefix this store reads or writes under
   * @param options deletion behaviour
   * @throws ValidationError naming `recoveryWindowDays` when out of range
   */
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretPrefix: string,
    options: SecretsManagerStoreOptions = {},
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
    this.recoveryWindowDays = checkRecoveryWindow(options.recoveryWindowDays);
  }

  /**
   * The password, from a cache of PASSWORD_CACHE_SECONDS unless
   * `forceFetch` asks for Secrets Manager itself.
   *
   * @throws NotFoundError when there is no such secret
   */
  async getPassword(
    secretName: string,
    options: { forceFetch?: boolean } = {},
  ): Promise<string> {
    this.assertOwned(secretName);
    try {
      const value = await this.provider.get(secretName, {
        maxAge: PASSWORD_CACHE_SECONDS,
        forceFetch: options.forceFetch ?? false,
        throwOnMissing: true,
      });

      return typeof value === 'string'
        ? value
        : Buffer.from(value).toString('utf8');
    } catch (error) {
      if (error instanceof ParameterNotFoundError) {
        throw new NotFoundError('secret', secretName);
      }
      const sdkError = error instanceof GetParameterError ? error.cause : error;
      throw toStoreError(sdkError, 'secrets.getPassword', secretName);
    }
  }

  /**
   * Creates the secret, or stores a new version when it exists.
   *
   * @throws ValidationError naming `password` when it is empty
   */
  async putPassword(secretName: string, password: string): Promise<void> {
    this.assertOwned(secretName);
    if (password.length === 0) {
      throw new ValidationError('password', 'password must not be empty');
    }
    this.provider.clearCache();

    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: secretName,
          SecretString: password,
          Description: 'POP3 password of a Techmail mailbox',
        }),
      );
    } catch (error) {
      if (
        !(error instanceof Error && error.name === 'ResourceExistsException')
      ) {
        throw toStoreError(error, 'secrets.putPassword', secretName);
      }
      await this.client
        .send(
          new PutSecretValueCommand({
            SecretId: secretName,
            SecretString: password,
          }),
        )
        .catch((putError: unknown) => {
          throw toStoreError(putError, 'secrets.putPassword', secretName);
        });
    }
  }

  /** Deletes the secret (see `recoveryWindowDays`); absent is fine. */
  async deletePassword(secretName: string): Promise<void> {
    this.assertOwned(secretName);
    this.provider.clearCache();

    const window = this.recoveryWindowDays;
    try {
      await this.client.send(
        new DeleteSecretCommand({
          SecretId: secretName,
          ...(window === undefined
            ? { ForceDeleteWithoutRecovery: true }
            : { RecoveryWindowInDays: window }),
        }),
      );
    } catch (error) {
      if (
        !(error instanceof Error && error.name === 'ResourceNotFoundException')
      ) {
        throw toStoreError(error, 'secrets.deletePassword', secretName);
      }
    }
  }

  /** Refuses names outside the prefix, which IAM would refuse on AWS too. */
  private assertOwned(secretName: string): void {
    if (!secretName.startsWith(this.secretPrefix)) {
      throw new ValidationError(
        'secretName',
        `secret ${secretName} is outside the service's prefix ${this.secretPrefix}`,
      );
    }
  }
}

/**
 * Name of the secret that holds a mailbox's password.
 *
 * @param secretPrefix the service's prefix (SECRET_PREFIX)
 * @param mailboxId the mailbox
 * @returns `<prefix>mailboxes/<mailboxId>`
 * @example
 * mailboxSecretName('techmail/', 'mbx-1'); // 'techmail/mailboxes/mbx-1'
 */
export function mailboxSecretName(
  secretPrefix: string,
  mailboxId: string,
): string {
  return `${secretPrefix}mailboxes/${mailboxId}`;
}

function checkRecoveryWindow(days: number | undefined): number | undefined {
  const { min, max } = RECOVERY_WINDOW_DAYS;
  if (days === undefined) return undefined;
  if (!(Number.isInteger(days) && days >= min && days <= max)) {
    throw new ValidationError(
      'recoveryWindowDays',
      `recoveryWindowDays must be a whole number of days from ${min} to ${max}, or left out to delete at once`,
    );
  }

  return days;
}
