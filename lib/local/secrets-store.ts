import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TechmailError } from '../../functions/commons/errors.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './http-support.js';

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const DAY_MS = 86_400_000;
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

interface StoredVersion {
  versionId: string;
  secretString?: string;
  /** Base64, as it travels in the JSON protocol. */
  secretBinary?: string;
  createdDate: number;
  stages: string[];
}

interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  /** When a scheduled deletion takes effect. */
  deletionDate?: number;
  versions: StoredVersion[];
}

interface SecretsState {
  secrets: StoredSecret[];
}

/** Request or response fields of one operation, as named on the wire. */
export type SecretsFields = Record<string, unknown>;

/** One Secrets Manager operation: request fields in, response fields out. */
export type SecretsOperation = (
  input: SecretsFields,
) => Promise<SecretsFields> | SecretsFields;

/** A refusal in the Secrets Manager error shape (`__type` + message). */
export class SecretsApiError extends TechmailError {
  /**
   * @param type the protocol's error type, e.g. `ResourceNotFoundException`
   * @param message what failed and what to do
   * @param statusCode HTTP status to answer with
   * @default statusCode 400
   */
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'SecretsApiError';
  }
}

/**
 * The local secrets: kept in memory, and in a JSON file with mode 0600 that
 * is replaced atomically on every change, so a crash never leaves half a
 * file and the secrets survive a restart.
 */
export class SecretsStore {
  private state: SecretsState = { secrets: [] };
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param filePath the JSON file; its directory is created with mode 0700
   */
  constructor(private readonly filePath: string) {}

  /**
   * Reads the file, if there is one.
   * @returns once the secrets are in memory
   * @throws Error when the file is not a secrets file
   */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<SecretsState>;
    if (!Array.isArray(parsed.secrets)) {
      throw new Error(
        `${this.filePath} is not a local secrets file; move it away and restart`,
      );
    }
    this.state = { secrets: parsed.secrets };
  }

  /**
   * The supported operations by their wire name.
   * @returns `CreateSecret`, `GetSecretValue`, `PutSecretValue`,
   * `DeleteSecret` and `DescribeSecret`
   */
  operations(): Readonly<Record<string, SecretsOperation>> {
    return {
      CreateSecret: (input) => this.change((state) => create(state, input)),
      PutSecretValue: (input) => this.change((state) => put(state, input)),
      DeleteSecret: (input) => this.change((state) => remove(state, input)),
      GetSecretValue: (input) => getValue(this.state, input),
      DescribeSecret: (input) => describe(this.state, input),
    };
  }

  /**
   * Applies a change to a copy and keeps it only once the file holds it;
   * changes run one at a time so none is lost.
   */
  private change(
    apply: (state: SecretsState) => SecretsFields,
  ): Promise<SecretsFields> {
    const run = async (): Promise<SecretsFields> => {
      const next = structuredClone(this.state);
      purgeDeleted(next, Date.now());
      const result = apply(next);
      await this.write(next);
      this.state = next;

      return result;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);

    return result;
  }

  private async write(state: SecretsState): Promise<void> {
    await mkdir(dirname(this.filePath), {
      recursive: true,
      mode: PRIVATE_DIR_MODE,
    });
    const temporary = `${this.filePath}.${randomBytes(6).toString('hex')}.tmp`;
    const file = await open(temporary, 'wx', PRIVATE_FILE_MODE);
    try {
      await file.writeFile(JSON.stringify(state));
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, this.filePath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

function create(state: SecretsState, input: SecretsFields): SecretsFields {
  const name = text(input, 'Name');
  if (!SECRET_NAME.test(name)) {
    throw invalidParameter('Name must be 1 to 512 of A-Z a-z 0-9 /_+=.@-');
  }
  const existing = state.secrets.find((secret) => secret.name === name);
  if (existing?.deletionDate !== undefined) {
    throw new SecretsApiError(
      'InvalidRequestException',
      `secret ${name} is scheduled for deletion; delete it with ForceDeleteWithoutRecovery first`,
    );
  }
  if (existing) {
    throw new SecretsApiError(
      'ResourceExistsException',
      `the secret ${name} already exists`,
    );
  }
  const now = Date.now();
  const secret: StoredSecret = {
    arn: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}-${randomBytes(3).toString('hex')}`,
    name,
    ...optionalText(input, 'Description', 'description'),
    createdDate: now,
    lastChangedDate: now,
    versions: [],
  };
  state.secrets.push(secret);
  const version = hasValue(input) ? addVersion(secret, input, now) : undefined;

  return { ARN: secret.arn, Name: name, VersionId: version?.versionId };
}

function put(state: SecretsState, input: SecretsFields): SecretsFields {
  const secret = findLive(state, input);
  if (!hasValue(input)) {
    throw invalidParameter('give SecretString or SecretBinary');
  }
  const token = optionalText(input, 'ClientRequestToken', 'id').id;
  const reused = secret.versions.find((v) => v.versionId === token);
  if (reused) {
    if (!sameValue(reused, input)) {
      throw new SecretsApiError(
        'ResourceExistsException',
        `version ${token} of ${secret.name} already exists with another value`,
      );
    }
    return versionSummary(secret, reused);
  }
  const version = addVersion(secret, input, Date.now());

  return versionSummary(secret, version);
}

function remove(state: SecretsState, input: SecretsFields): SecretsFields {
  const secret = find(state, input);
  const force = input.ForceDeleteWithoutRecovery === true;
  const windowDays = input.RecoveryWindowInDays ?? 30;
  if (force && input.RecoveryWindowInDays !== undefined) {
    throw invalidParameter(
      'give RecoveryWindowInDays or ForceDeleteWithoutRecovery, not both',
    );
  }
  if (typeof windowDays !== 'number' || windowDays < 7 || windowDays > 30) {
    throw invalidParameter('RecoveryWindowInDays must be from 7 to 30');
  }
  if (!force && secret.deletionDate !== undefined) throw markedForDeletion();
  const now = Date.now();
  if (force) {
    state.secrets.splice(state.secrets.indexOf(secret), 1);
  } else {
    secret.deletionDate = now + windowDays * DAY_MS;
  }

  return {
    ARN: secret.arn,
    Name: secret.name,
    DeletionDate: seconds(secret.deletionDate ?? now),
  };
}

function getValue(state: SecretsState, input: SecretsFields): SecretsFields {
  const secret = findLive(state, input);
  const versionId = optionalText(input, 'VersionId', 'id').id;
  const stage = optionalText(input, 'VersionStage', 'stage').stage;
  const version = secret.versions.find((v) =>
    versionId === undefined
      ? v.stages.includes(stage ?? CURRENT)
      : v.versionId === versionId && (!stage || v.stages.includes(stage)),
  );
  if (!version) {
    throw new SecretsApiError(
      'ResourceNotFoundException',
      `no value of ${secret.name} has ${versionId ? `VersionId ${versionId}` : `staging label ${stage ?? CURRENT}`}`,
    );
  }

  return {
    ...versionSummary(secret, version),
    SecretString: version.secretString,
    SecretBinary: version.secretBinary,
    CreatedDate: seconds(version.createdDate),
  };
}

function describe(state: SecretsState, input: SecretsFields): SecretsFields {
  const secret = find(state, input);

  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    CreatedDate: seconds(secret.createdDate),
    LastChangedDate: seconds(secret.lastChangedDate),
    DeletedDate:
      secret.deletionDate === undefined
        ? undefined
        : seconds(secret.deletionDate),
    VersionIdsToStages: Object.fromEntries(
      secret.versions.map((v) => [v.versionId, v.stages]),
    ),
  };
}

/**
 * Adds a version as AWSCURRENT; the old current one becomes AWSPREVIOUS and
 * versions left without a label are dropped, as Secrets Manager does.
 */
function addVersion(
  secret: StoredSecret,
  input: SecretsFields,
  now: number,
): StoredVersion {
  for (const version of secret.versions) {
    version.stages = version.stages.includes(CURRENT) ? [PREVIOUS] : [];
  }
  const version: StoredVersion = {
    versionId:
      optionalText(input, 'ClientRequestToken', 'id').id ?? randomUUID(),
    ...optionalText(input, 'SecretString', 'secretString'),
    ...optionalText(input, 'SecretBinary', 'secretBinary'),
    createdDate: now,
    stages: [CURRENT],
  };
  secret.versions = [
    ...secret.versions.filter((v) => v.stages.length > 0),
    version,
  ];
  secret.lastChangedDate = now;

  return version;
}

function find(state: SecretsState, input: SecretsFields): StoredSecret {
  const id = text(input, 'SecretId');
  const now = Date.now();
  const secret = state.secrets.find(
    (s) =>
      (s.name === id || s.arn === id) &&
      (s.deletionDate === undefined || s.deletionDate > now),
  );
  if (!secret) {
    throw new SecretsApiError(
      'ResourceNotFoundException',
      `secret ${id} was not found; create it first`,
    );
  }

  return secret;
}

function findLive(state: SecretsState, input: SecretsFields): StoredSecret {
  const secret = find(state, input);
  if (secret.deletionDate !== undefined) throw markedForDeletion();

  return secret;
}

function versionSummary(
  secret: StoredSecret,
  version: StoredVersion,
): SecretsFields {
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    VersionStages: version.stages,
  };
}

function hasValue(input: SecretsFields): boolean {
  const string = input.SecretString !== undefined;
  const binary = input.SecretBinary !== undefined;
  if (string && binary) {
    throw invalidParameter('give SecretString or SecretBinary, not both');
  }

  return string || binary;
}

function sameValue(version: StoredVersion, input: SecretsFields): boolean {
  return (
    version.secretString === input.SecretString &&
    version.secretBinary === input.SecretBinary
  );
}

function text(input: SecretsFields, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw invalidParameter(`${field} is required and must be a string`);
  }

  return value;
}

function optionalText<K extends string>(
  input: SecretsFields,
  field: string,
  key: K,
): Partial<Record<K, string>> {
  const value = input[field];
  if (value === undefined) return {};
  if (typeof value !== 'string') {
    throw invalidParameter(`${field} must be a string`);
  }

  return { [key]: value } as Partial<Record<K, string>>;
}

function invalidParameter(message: string): SecretsApiError {
  return new SecretsApiError('InvalidParameterException', message);
}

function markedForDeletion(): SecretsApiError {
  return new SecretsApiError(
    'InvalidRequestException',
    'the secret is scheduled for deletion; no change or read is allowed',
  );
}

/** The JSON protocol's timestamps are epoch seconds. */
function seconds(epochMs: number): number {
  return epochMs / 1000;
}

function purgeDeleted(state: SecretsState, now: number): void {
  state.secrets = state.secrets.filter(
    (secret) => secret.deletionDate === undefined || secret.deletionDate > now,
  );
}
