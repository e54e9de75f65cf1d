import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The process's Secrets Manager client, built once at init. */
export const secretsManagerClient: SecretsManagerClient =
  new SecretsManagerClient({});
