import {
  INCIDENTS_TABLE,
  MAILBOXES_TABLE,
  RUNS_TABLE,
} from '../store/tables.js';
import { ValidationError } from './errors.js';

/** Settings every function reads from its environment at init. */
export interface TechmailConfig {
  /** Physical name of the Mailboxes table (`MAILBOXES_TABLE`). */
  readonly mailboxesTable: string;
  /** Physical name of the Runs table (`RUNS_TABLE`). */
  readonly runsTable: string;
  /** Physical name of the Incidents table (`INCIDENTS_TABLE`). */
  readonly incidentsTable: string;
  /** Bucket for raw messages, attachments and quarantine (`BLOB_BUCKET`). */
  readonly blobBucket: string;
  /**
   * Prefix of every secret the service owns (`SECRET_PREFIX`); IAM grants
   * the functions access to this prefix only.
   * @default 'techmail/'
   */
  readonly secretPrefix: string;
  /** The techmail function that runs mailboxes (`TECHMAIL_FUNCTION_NAME`). */
  readonly functionName: string;
  /**
   * How long a run's mailbox lease lasts before another run may take it
   * over (`TECHMAIL_LEASE_SECONDS`).
   * @default 900
   */
  readonly leaseSeconds: number;
  /**
   * Domain of the Message-IDs the help desk's own outgoing mail carries
   * (`TECHMAIL_MESSAGE_ID_DOMAIN`, e.g. `mail.helpdesk.example`). A message
   * whose Message-ID, or whose `X-Techmail-Loop` header, names it is the
   * help desk's own mail coming back, and is suppressed as a loop.
   * @default undefined (that loop check is off)
   */
  readonly messageIdDomain?: string;
}

/** Default secret prefix; the CDK stack grants access to it. */
export const DEFAULT_SECRET_PREFIX = 'techmail/';

/**
 * Default lease: Lambda's maximum timeout, so a lease never lapses while its
 * run may still be alive, and a crashed run frees the mailbox by the next
 * scheduled run.
 */
export const DEFAULT_LEASE_SECONDS = 900;

/** Longest lease accepted: beyond a day a crashed run blocks for too long. */
export const MAX_LEASE_SECONDS = 86_400;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SECRET_PREFIX = /^[A-Za-z0-9/_+=.@-]{1,256}$/;
const FUNCTION_NAME = /^\S{1,170}$/;
/**
 * A DNS domain of two or more labels, as `TECHMAIL_MESSAGE_ID_DOMAIN`
 * must be (the stack checks its prop against it too).
 */
export const MESSAGE_ID_DOMAIN_PATTERN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and checks the configuration from an environment.
 *
 * @param env the environment to read
 * @default process.env
 * @returns the checked configuration
 * @throws ValidationError naming the first variable that is missing or wrong
 * @example
 * const config = readConfig({ ...process.env, BLOB_BUCKET: 'techmail-test' });
 */
export function readConfig(env: Env = process.env): TechmailConfig {
  return {
    mailboxesTable: required(env, MAILBOXES_TABLE.envVar, TABLE_NAME),
    runsTable: required(env, RUNS_TABLE.envVar, TABLE_NAME),
    incidentsTable: required(env, INCIDENTS_TABLE.envVar, TABLE_NAME),
    blobBucket: required(env, 'BLOB_BUCKET', BUCKET_NAME),
    secretPrefix:
      optional(env, 'SECRET_PREFIX', SECRET_PREFIX) ?? DEFAULT_SECRET_PREFIX,
    functionName: required(env, 'TECHMAIL_FUNCTION_NAME', FUNCTION_NAME),
    leaseSeconds: readLeaseSeconds(env),
    messageIdDomain: optional(
      env,
      'TECHMAIL_MESSAGE_ID_DOMAIN',
      MESSAGE_ID_DOMAIN_PATTERN,
    )?.toLowerCase(),
  };
}

let loaded: TechmailConfig | undefined;

/**
 * The configuration of this process, read from `process.env` on first use
 * and kept for the life of the process (so tests and the local runtime can
 * set the environment before anything asks).
 *
 * @returns the checked configuration
 * @throws ValidationError naming the first variable that is missing or wrong
 */
export function getConfig(): TechmailConfig {
  loaded ??= readConfig();

  return loaded;
}

function required(env: Env, name: string, pattern: RegExp): string {
  const value = optional(env, name, pattern);
  if (value === undefined) {
    throw new ValidationError(
      name,
      `environment variable ${name} is not set; the stack (or the local runtime) must set it`,
    );
  }

  return value;
}

function optional(env: Env, name: string, pattern: RegExp): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!pattern.test(value)) {
    throw new ValidationError(
      name,
      `environment variable ${name} must match ${pattern.source}`,
    );
  }

  return value;
}

function readLeaseSeconds(env: Env): number {
  const name = 'TECHMAIL_LEASE_SECONDS';
  const value = env[name];
  if (value === undefined || value === '') return DEFAULT_LEASE_SECONDS;

  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_LEASE_SECONDS)) {
    throw new ValidationError(
      name,
      `environment variable ${name} must be a whole number of seconds from 1 to ${MAX_LEASE_SECONDS}`,
    );
  }

  return seconds;
}
