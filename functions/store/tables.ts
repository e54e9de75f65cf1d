/**
 * Key schemas of the service's DynamoDB tables. The CDK stack and the local
 * runtime both build their tables from these definitions, so the code that
 * reads and writes items sees the same shape everywhere.
 */

/** One global secondary index: partition key, sort key, all attributes. */
export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

/** A table with string `pk`/`sk` keys and its indexes. */
export interface TableDefinition {
  /** Logical name; the physical name comes from the environment. */
  readonly logicalName: 'Mailboxes' | 'Runs' | 'Incidents';
  /** Environment variable that carries the physical table name. */
  readonly envVar: string;
  /** Physical name used by the local runtime. */
  readonly localName: string;
  readonly partitionKey: 'pk';
  readonly sortKey: 'sk';
  readonly indexes: readonly IndexDefinition[];
  /**
   * Attribute holding an item's expiry in epoch seconds, which DynamoDB
   * TTL deletes after; only items that set it expire.
   * @default none: nothing in the table expires
   */
  readonly timeToLiveAttribute?: string;
}

/**
 * TTL attribute of the Incidents table, set by the flood counters. The
 * Mailboxes table has no TTL: its leases keep an `expiresAt` in epoch
 * milliseconds, which TTL would read as a date far in the future.
 */
export const INCIDENTS_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Mailboxes, their account-uniqueness guards, leases, flood counters.
 * Items: `MAILBOX#<id>`, `ACCOUNT#<server>#<account>`, `LEASE#<id>`.
 */
export const MAILBOXES_TABLE: TableDefinition = {
  logicalName: 'Mailboxes',
  envVar: 'MAILBOXES_TABLE',
  localName: 'techmail-mailboxes',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
};

/** Runs: header item `RUN` and one `MSG#<seq>` item per message. */
export const RUNS_TABLE: TableDefinition = {
  logicalName: 'Runs',
  envVar: 'RUNS_TABLE',
  localName: 'techmail-runs',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'byMailbox', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ],
};

/**
 * Incidents, thread entries, the Message-ID index, the per-day reference
 * counters and the per-message ledger that makes processing idempotent.
 */
export const INCIDENTS_TABLE: TableDefinition = {
  logicalName: 'Incidents',
  envVar: 'INCIDENTS_TABLE',
  localName: 'techmail-incidents',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'byList', partitionKey: 'listPk', sortKey: 'listSk' },
    { indexName: 'byMailbox', partitionKey: 'mailboxPk', sortKey: 'listSk' },
    {
      indexName: 'byInterface',
      partitionKey: 'interfacePk',
      sortKey: 'listSk',
    },
    { indexName: 'byStatus', partitionKey: 'statusPk', sortKey: 'listSk' },
  ],
  timeToLiveAttribute: INCIDENTS_TTL_ATTRIBUTE,
};

/** Every table of the service. */
export const TABLES: readonly TableDefinition[] = [
  MAILBOXES_TABLE,
  RUNS_TABLE,
  INCIDENTS_TABLE,
];
