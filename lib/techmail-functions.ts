import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_SECRET_PREFIX,
  MESSAGE_ID_DOMAIN_PATTERN,
} from '../functions/commons/config.js';
import {
  type BundledFunctionSettings,
  createBundledFunction,
} from './bundled-function.js';
import {
  grantBlobAccess,
  grantInvoke,
  grantMailboxSecrets,
  grantTableAccess,
} from './function-grants.js';
import {
  assertDurationInRange,
  assertIntegerInRange,
  assertMatches,
} from './prop-validation.js';
import { BLOB_PREFIXES, type TechmailData } from './techmail-data.js';

/** Log levels Powertools Logger accepts. */
export type TechmailLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Props of {@link TechmailFunctions}. */
export interface TechmailFunctionsProps {
  /** The tables and the bucket the functions read and write. */
  readonly data: TechmailData;
  /**
   * Prefix of the Secrets Manager secrets holding mailbox passwords. The
   * functions may touch only `<prefix>mailboxes/*`.
   * @default 'techmail/'
   */
  readonly secretPrefix?: string;
  /**
   * Physical name of the techmail function. It is fixed because the
   * function invokes itself for continuation runs and must know its own
   * name without referencing itself in the template.
   * @default `<stack name>-techmail`
   */
  readonly techmailFunctionName?: string;
  /**
   * Memory of the techmail function in MB (CPU scales with it). Holds one
   * message of up to the mailbox's size limit and its parsed form. The
   * quarantine API, which reprocesses one such message, gets the same.
   * @default 1024
   */
  readonly techmailMemorySize?: number;
  /**
   * Timeout of one mailbox run, which stops taking messages shortly before
   * it. Also the mailbox lease, so a lease never lapses while a run lives.
   * @default Duration.minutes(15)
   */
  readonly techmailTimeout?: Duration;
  /**
   * Times Lambda retries a failed async run before it goes to the
   * dead-letter queue. Retries are safe: every write is idempotent.
   * @default 2
   */
  readonly techmailRetryAttempts?: number;
  /**
   * Age after which a queued run is dropped to the dead-letter queue
   * instead of started; by then several scheduled runs have taken over.
   * @default Duration.hours(1)
   */
  readonly techmailMaxEventAge?: Duration;
  /**
   * Retention of every function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Domain of the Message-IDs the help desk's own outgoing mail carries
   * (`TECHMAIL_MESSAGE_ID_DOMAIN` of the functions that take mail in): mail
   * naming it in its Message-ID or `X-Techmail-Loop` is suppressed as a
   * loop.
   * @default none: that loop check is off
   */
  readonly messageIdDomain?: string;
  /**
   * Powertools log level of every function.
   * @default 'INFO'
   */
  readonly logLevel?: TechmailLogLevel;
  /**
   * CloudWatch namespace of the service's metrics.
   * @default 'Techmail'
   */
  readonly metricsNamespace?: string;
}

/** Powertools service name: the `service` dimension of every metric. */
export const TECHMAIL_SERVICE_NAME = 'techmail';

/** API functions answer within API Gateway's 29-second integration limit. */
const API_TIMEOUT = Duration.seconds(29);

/** The fan-out should finish long before the next scheduled run. */
const FAN_OUT_TIMEOUT = Duration.minutes(2);

/**
 * One full vCPU. Dispatch is CPU-bound in the SDK (signing and serialising
 * about two requests per mailbox, about 2 ms of CPU per mailbox in the
 * bench); at 256 MB Lambda gives a sixth of a vCPU, so 1000 mailboxes
 * would take over 10 s instead of about 2 s.
 */
const FAN_OUT_MEMORY_MB = 1769;

/** A fan-out older than this overlaps the next 15-minute schedule. */
const FAN_OUT_MAX_EVENT_AGE = Duration.minutes(10);

type FunctionSettings = Omit<
  BundledFunctionSettings,
  'environment' | 'logRetention'
>;

/** Checked props, defaults filled in. */
interface ResolvedSettings {
  readonly secretPrefix: string;
  readonly techmailName: string;
  readonly techmailMemorySize: number;
  readonly techmailTimeout: Duration;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly messageIdDomain?: string;
}

/**
 * The six Lambda functions (techmail, fan-out, on-demand, mailbox API,
 * incidents API, quarantine API), each with its own role holding only the
 * grants its code needs, its own log group, and the dead-letter queue of
 * failed async runs.
 */
export class TechmailFunctions extends Construct {
  /** One mailbox run; async-invoked. */
  readonly techmail: nodejs.NodejsFunction;
  /** The 15-minute fan-out over enabled mailboxes. */
  readonly fanOut: nodejs.NodejsFunction;
  /** On-demand runs and run records behind the API. */
  readonly onDemand: nodejs.NodejsFunction;
  /** Mailbox administration behind the API. */
  readonly mailboxesApi: nodejs.NodejsFunction;
  /** Incident reading behind the API. */
  readonly incidentsApi: nodejs.NodejsFunction;
  /** Quarantine listing and reprocessing behind the API. */
  readonly quarantineApi: nodejs.NodejsFunction;
  /** Async invocations of techmail and fan-out that failed every attempt. */
  readonly deadLetterQueue: sqs.Queue;
  /** CloudWatch namespace the functions emit metrics to. */
  readonly metricsNamespace: string;

  private readonly environment: Record<string, string>;
  private readonly logRetention: logs.RetentionDays;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props data, names and sizing
   * @throws InvalidPropError naming the first prop that cannot work
   */
  constructor(scope: Construct, id: string, props: TechmailFunctionsProps) {
    super(scope, id);
    const settings = resolveSettings(props, Stack.of(this).stackName);

    this.metricsNamespace = props.metricsNamespace ?? 'Techmail';
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.environment = this.sharedEnvironment(props, settings);
    this.deadLetterQueue = this.createDeadLetterQueue();
    const mailEnvironment = messageIdEnvironment(settings);

    this.techmail = this.createFunction(
      'Techmail',
      {
        entry: 'techmail.ts',
        description: 'Runs one mailbox: POP3 fetch, incidents, run record',
        memorySize: settings.techmailMemorySize,
        timeout: settings.techmailTimeout,
        functionName: settings.techmailName,
      },
      mailEnvironment,
    );
    this.techmail.configureAsyncInvoke({
      retryAttempts: settings.retryAttempts,
      maxEventAge: settings.maxEventAge,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.fanOut = this.createFunction('FanOut', {
      entry: 'fan-out.ts',
      description: 'Queues a techmail run per enabled mailbox (schedule)',
      memorySize: FAN_OUT_MEMORY_MB,
      timeout: FAN_OUT_TIMEOUT,
    });
    this.fanOut.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: FAN_OUT_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.onDemand = this.createFunction('OnDemand', {
      entry: 'on-demand.ts',
      description: 'API: on-demand runs and run records',
      memorySize: 512,
      timeout: API_TIMEOUT,
    });
    this.mailboxesApi = this.createFunction('MailboxesApi', {
      entry: 'mailboxes-api.ts',
      description: 'API: mailbox administration',
      memorySize: 512,
      timeout: API_TIMEOUT,
    });
    this.incidentsApi = this.createFunction('IncidentsApi', {
      entry: 'incidents-api.ts',
      description: 'API: incidents, their threads and attachment downloads',
      memorySize: 512,
      timeout: API_TIMEOUT,
    });
    // Reprocessing parses one quarantined message as a run would, so it
    // gets the run's memory.
    this.quarantineApi = this.createFunction(
      'QuarantineApi',
      {
        entry: 'quarantine-api.ts',
        description: 'API: quarantined mail, listed and reprocessed',
        memorySize: settings.techmailMemorySize,
        timeout: API_TIMEOUT,
      },
      mailEnvironment,
    );

    this.grantLeastPrivilege(props.data, settings);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The functions pin nodejs22.x, the LTS line the bundles target (esbuild node22) and the code is tested for; a newer runtime is adopted as a deliberate change with its own test run, not implicitly by a lint rule.',
    });
  }

  /**
   * Grants follow what each handler's code calls: a run reads and writes
   * every table, writes blobs, reads passwords and may queue its own
   * continuation; dispatchers write runs and leases and invoke techmail;
   * the mailbox API manages passwords; the incidents API reads, and copies
   * a body it links to into the bucket; the quarantine API reads
   * quarantined mail and writes what a run would write for it.
   */
  private grantLeastPrivilege(
    data: TechmailData,
    settings: ResolvedSettings,
  ): void {
    const { Mailboxes, Runs, Incidents } = data.tables;
    const techmailArn = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: settings.techmailName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    for (const table of [Mailboxes, Runs, Incidents]) {
      grantTableAccess(this.techmail, table, 'readWrite');
    }
    grantBlobAccess(
      this.techmail,
      data.bucket,
      ['s3:PutObject'],
      Object.values(BLOB_PREFIXES),
    );
    grantMailboxSecrets(this.techmail, settings.secretPrefix, [
      'secretsmanager:GetSecretValue',
    ]);
    grantInvoke(this.techmail, techmailArn);

    grantTableAccess(this.fanOut, Mailboxes, 'readWrite');
    grantTableAccess(this.fanOut, Runs, 'write');
    grantInvoke(this.fanOut, techmailArn);

    grantTableAccess(this.onDemand, Mailboxes, 'readWrite');
    grantTableAccess(this.onDemand, Runs, 'readWrite');
    grantInvoke(this.onDemand, techmailArn);

    grantTableAccess(this.mailboxesApi, Mailboxes, 'readWrite');
    grantMailboxSecrets(this.mailboxesApi, settings.secretPrefix, [
      'secretsmanager:CreateSecret',
      'secretsmanager:PutSecretValue',
      'secretsmanager:DeleteSecret',
    ]);

    grantTableAccess(this.incidentsApi, Incidents, 'read');
    // Links are presigned with this role, so it must be allowed to GetObject
    // what it links to; a body cut from a response is copied to bodies/.
    grantBlobAccess(
      this.incidentsApi,
      data.bucket,
      ['s3:GetObject'],
      [BLOB_PREFIXES.attachments],
    );
    grantBlobAccess(
      this.incidentsApi,
      data.bucket,
      ['s3:GetObject', 's3:PutObject'],
      [BLOB_PREFIXES.bodies],
    );

    grantTableAccess(this.quarantineApi, Mailboxes, 'read');
    grantTableAccess(this.quarantineApi, Incidents, 'readWrite');
    grantBlobAccess(
      this.quarantineApi,
      data.bucket,
      ['s3:GetObject', 's3:PutObject'],
      [BLOB_PREFIXES.quarantine],
    );
    grantBlobAccess(
      this.quarantineApi,
      data.bucket,
      ['s3:PutObject'],
      [BLOB_PREFIXES.raw, BLOB_PREFIXES.attachments, BLOB_PREFIXES.bodies],
    );
  }

  /** Every handler reads the whole config at init, so all get all of it. */
  private sharedEnvironment(
    props: TechmailFunctionsProps,
    settings: ResolvedSettings,
  ): Record<string, string> {
    const tableNames = Object.values(props.data.tables).map(
      ({ table, definition }) => [definition.envVar, table.tableName],
    );

    return {
      ...Object.fromEntries(tableNames),
      BLOB_BUCKET: props.data.bucket.bucketName,
      SECRET_PREFIX: settings.secretPrefix,
      TECHMAIL_FUNCTION_NAME: settings.techmailName,
      TECHMAIL_LEASE_SECONDS: String(settings.techmailTimeout.toSeconds()),
      POWERTOOLS_SERVICE_NAME: TECHMAIL_SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };
  }

  private createDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the techmail and fan-out async invocations; nothing consumes it automatically, so a queue behind it would never receive anything.',
    });

    return queue;
  }

  private createFunction(
    id: string,
    settings: FunctionSettings,
    extraEnvironment: Record<string, string> = {},
  ): nodejs.NodejsFunction {
    return createBundledFunction(this, id, {
      ...settings,
      environment: { ...this.environment, ...extraEnvironment },
      logRetention: this.logRetention,
    });
  }
}

/** The loop-check domain for the functions that take mail in, when set. */
function messageIdEnvironment(
  settings: ResolvedSettings,
): Record<string, string> {
  return settings.messageIdDomain === undefined
    ? {}
    : { TECHMAIL_MESSAGE_ID_DOMAIN: settings.messageIdDomain };
}

function resolveSettings(
  props: TechmailFunctionsProps,
  stackName: string,
): ResolvedSettings {
  return {
    secretPrefix: assertMatches(
      'secretPrefix',
      props.secretPrefix ?? DEFAULT_SECRET_PREFIX,
      /^[A-Za-z0-9/_+=.@-]{1,200}$/,
      'must be 1 to 200 of A-Z a-z 0-9 / _ + = . @ -, such as techmail/',
    ),
    techmailName: assertMatches(
      'techmailFunctionName',
      props.techmailFunctionName ?? `${stackName}-techmail`,
      /^[A-Za-z0-9_-]{1,64}$/,
      'must be 1 to 64 of A-Z a-z 0-9 - _ (pass a shorter name when the stack name is long)',
    ),
    techmailMemorySize: assertIntegerInRange(
      'techmailMemorySize',
      // Measured (README, Performance): a 50 MB message, the largest accepted,
      // adds 145 MB to a 145 MB idle process that also hosts the local
      // stand-ins; with the 32 MB of smaller messages a run may hold
      // besides, it needs about 400 MB. 512 would fit, but the run is
      // CPU-bound and Lambda's CPU share halves with memory; 1024 keeps
      // twice the need as headroom.
      props.techmailMemorySize ?? 1024,
      128,
      10_240,
    ),
    techmailTimeout: assertDurationInRange(
      'techmailTimeout',
      props.techmailTimeout ?? Duration.minutes(15),
      60,
      900,
    ),
    retryAttempts: assertIntegerInRange(
      'techmailRetryAttempts',
      props.techmailRetryAttempts ?? 2,
      0,
      2,
    ),
    maxEventAge: assertDurationInRange(
      'techmailMaxEventAge',
      props.techmailMaxEventAge ?? Duration.hours(1),
      60,
      21_600,
    ),
    messageIdDomain:
      props.messageIdDomain === undefined
        ? undefined
        : assertMatches(
            'messageIdDomain',
            props.messageIdDomain,
            MESSAGE_ID_DOMAIN_PATTERN,
            'must be a domain name of two or more labels, such as mail.helpdesk.example',
          ),
  };
}
