import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition } from '../functions/store/tables.js';
import { assertWholeDays } from './prop-validation.js';

/**
 * Key prefixes of the blob bucket, as the techmail function builds them in
 * `functions/techmail/process-message.ts`. IAM grants and lifecycle rules
 * are scoped to these prefixes.
 */
export const BLOB_PREFIXES = {
  /** The message as fetched, kept for reprocessing and audit. */
  raw: 'raw/',
  /** Messages that could not be parsed or were over the size limit. */
  quarantine: 'quarantine/',
  /** Attachment bytes referenced by thread entries. */
  attachments: 'attachments/',
  /** Text and sanitized HTML of each thread entry. */
  bodies: 'bodies/',
} as const;

/** Logical name of one of the service's tables. */
export type TableName = TableDefinition['logicalName'];

/** A DynamoDB table with the key schema it was built from. */
export interface TechmailTable {
  /** The table. */
  readonly table: dynamodb.Table;
  /** Its key schema and indexes, shared with the runtime. */
  readonly definition: TableDefinition;
}

/** Props of {@link TechmailData}. */
export interface TechmailDataProps {
  /**
   * How long raw copies of fetched messages (`raw/`) and quarantined
   * messages (`quarantine/`) are kept. Incidents keep their text, sanitized
   * HTML and attachments; the raw copy only serves reprocessing and audit.
   * A whole number of days.
   * @default Duration.days(90)
   */
  readonly rawMessageRetention?: Duration;
  /**
   * How long S3 server access logs of the blob bucket are kept.
   * A whole number of days.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
}

/**
 * Days an overwritten or expired blob stays recoverable. Blob keys are
 * content-derived, so an overwrite only happens when a run is retried.
 */
const NONCURRENT_VERSION_DAYS = 30;

/** Prefix of the blob bucket's access logs inside the log bucket. */
const ACCESS_LOG_PREFIX = 'blob-bucket/';

/**
 * The service's data: the Mailboxes, Runs and Incidents tables built from
 * the shared key schemas, and the bucket for raw messages, attachments,
 * entry bodies and quarantine. Everything here is retained when the stack
 * is deleted.
 */
export class TechmailData extends Construct {
  /** The tables, by logical name. */
  readonly tables: Readonly<Record<TableName, TechmailTable>>;
  /** Raw messages, attachments, entry bodies and quarantine. */
  readonly bucket: s3.Bucket;
  /** Server access logs of {@link bucket}. */
  readonly accessLogsBucket: s3.Bucket;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props retention settings
   * @throws InvalidPropError when a retention is not a whole number of days
   */
  constructor(scope: Construct, id: string, props: TechmailDataProps = {}) {
    super(scope, id);
    const rawMessageRetention = assertWholeDays(
      'rawMessageRetention',
      props.rawMessageRetention ?? Duration.days(90),
      1,
    );
    const accessLogRetention = assertWholeDays(
      'accessLogRetention',
      props.accessLogRetention ?? Duration.days(365),
      1,
    );

    this.tables = Object.fromEntries(
      TABLES.map((definition) => [
        definition.logicalName,
        { table: this.createTable(definition), definition },
      ]),
    ) as Record<TableName, TechmailTable>;
    this.accessLogsBucket = this.createAccessLogsBucket(accessLogRetention);
    this.bucket = this.createBlobBucket(rawMessageRetention);
  }

  private createTable(definition: TableDefinition): dynamodb.Table {
    const table = new dynamodb.Table(this, `${definition.logicalName}Table`, {
      partitionKey: {
        name: definition.partitionKey,
        type: dynamodb.AttributeType.STRING,
      },
      sortKey: {
        name: definition.sortKey,
        type: dynamodb.AttributeType.STRING,
      },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: definition.timeToLiveAttribute,
    });
    for (const index of definition.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: {
          name: index.partitionKey,
          type: dynamodb.AttributeType.STRING,
        },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    return table;
  }

  private createAccessLogsBucket(retention: Duration): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: retention }],
    });
    // A bucket policy rather than the legacy log-delivery ACL, which needs
    // ACLs enabled on the bucket.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowS3ServerAccessLogDelivery',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${ACCESS_LOG_PREFIX}*`)],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the blob bucket access logs; logging its own access would log into itself or only move the finding to another bucket.',
    });

    return bucket;
  }

  private createBlobBucket(rawMessageRetention: Duration): s3.Bucket {
    const bucket = new s3.Bucket(this, 'BlobBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireRawMessages',
          prefix: BLOB_PREFIXES.raw,
          expiration: rawMessageRetention,
        },
        {
          id: 'ExpireQuarantinedMessages',
          prefix: BLOB_PREFIXES.quarantine,
          expiration: rawMessageRetention,
        },
        {
          id: 'ExpireOldVersions',
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.loggingConfiguration = {
      destinationBucketName: this.accessLogsBucket.bucketName,
      logFilePrefix: ACCESS_LOG_PREFIX,
    };
    // The first log deliveries need the log bucket policy already in place.
    const logsPolicy = this.accessLogsBucket.policy;
    if (logsPolicy) bucket.node.addDependency(logsPolicy);

    return bucket;
  }
}
