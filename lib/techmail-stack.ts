import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TechmailAlarms } from './techmail-alarms.js';
import { TechmailApi } from './techmail-api.js';
import { TechmailData } from './techmail-data.js';
import {
  TECHMAIL_SERVICE_NAME,
  TechmailFunctions,
} from './techmail-functions.js';

/** Props of {@link TechmailStack}. */
export interface TechmailStackProps extends StackProps {
  /**
   * Prefix of the mailbox password secrets; functions may touch only
   * `<prefix>mailboxes/*`.
   * @default 'techmail/'
   */
  readonly secretPrefix?: string;
  /**
   * Memory of the techmail function, and of the quarantine API that
   * reprocesses one message the same way, in MB.
   * @default 1024
   */
  readonly techmailMemorySize?: number;
  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long raw and quarantined messages stay in the bucket.
   * @default Duration.days(90)
   */
  readonly rawMessageRetention?: Duration;
  /**
   * Steady-state API requests per second.
   * @default 25
   */
  readonly apiThrottlingRateLimit?: number;
  /**
   * API requests accepted in a burst.
   * @default 50
   */
  readonly apiThrottlingBurstLimit?: number;
  /**
   * Whether this stack sets the account's API Gateway CloudWatch Logs role.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * Domain of the Message-IDs the help desk's own outgoing mail carries;
   * mail that names it is suppressed as a loop.
   * @default none: that loop check is off
   */
  readonly messageIdDomain?: string;
  /**
   * SNS topic every alarm notifies.
   * @default none: alarms show in the CloudWatch console only
   */
  readonly alarmTopicArn?: string;
}

/** How often every enabled mailbox is run. */
const SCHEDULE_RATE_MINUTES = 15;

/**
 * Techmail on AWS: the data, the six functions, the 15-minute schedule
 * that fans out to techmail, the SigV4-only REST API, and the alarms.
 */
export class TechmailStack extends Stack {
  /** Tables and bucket. */
  readonly data: TechmailData;
  /** The Lambda functions and the dead-letter queue. */
  readonly functions: TechmailFunctions;
  /** The REST API. */
  readonly api: TechmailApi;
  /** The operational alarms. */
  readonly alarms: TechmailAlarms;

  /**
   * @param scope the app
   * @param id the stack id (also its default name)
   * @param props sizing, retention, throttling and alarm settings
   * @throws InvalidPropError naming the first prop that cannot work
   */
  constructor(scope: Construct, id: string, props: TechmailStackProps = {}) {
    super(scope, id, props);

    this.data = new TechmailData(this, 'Data', {
      rawMessageRetention: props.rawMessageRetention,
    });
    this.functions = new TechmailFunctions(this, 'Functions', {
      data: this.data,
      secretPrefix: props.secretPrefix,
      techmailMemorySize: props.techmailMemorySize,
      logRetention: props.logRetention,
      messageIdDomain: props.messageIdDomain,
    });
    new events.Rule(this, 'FanOutSchedule', {
      description: 'Runs every enabled mailbox',
      schedule: events.Schedule.rate(Duration.minutes(SCHEDULE_RATE_MINUTES)),
      targets: [new targets.LambdaFunction(this.functions.fanOut)],
    });
    this.api = new TechmailApi(this, 'Api', {
      mailboxesApi: this.functions.mailboxesApi,
      onDemand: this.functions.onDemand,
      incidentsApi: this.functions.incidentsApi,
      quarantineApi: this.functions.quarantineApi,
      throttlingRateLimit: props.apiThrottlingRateLimit,
      throttlingBurstLimit: props.apiThrottlingBurstLimit,
      cloudWatchRole: props.apiGatewayCloudWatchRole,
    });
    this.alarms = new TechmailAlarms(this, 'Alarms', {
      techmail: this.functions.techmail,
      fanOut: this.functions.fanOut,
      deadLetterQueue: this.functions.deadLetterQueue,
      metricsNamespace: this.functions.metricsNamespace,
      serviceName: TECHMAIL_SERVICE_NAME,
      alarmActions: this.alarmActions(props.alarmTopicArn),
    });

    this.addOutputs();
  }

  private alarmActions(
    topicArn: string | undefined,
  ): cloudwatch.IAlarmAction[] {
    if (topicArn === undefined) return [];

    return [
      new SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', topicArn)),
    ];
  }

  private addOutputs(): void {
    const { tables, bucket } = this.data;
    const outputs: Record<string, [string, string]> = {
      ApiUrl: [
        this.api.api.url,
        'Base URL of the REST API (SigV4, service execute-api)',
      ],
      MailboxesTableName: [
        tables.Mailboxes.table.tableName,
        'Mailboxes, leases and account guards',
      ],
      RunsTableName: [tables.Runs.table.tableName, 'Run records'],
      IncidentsTableName: [
        tables.Incidents.table.tableName,
        'Incidents, thread entries and the message ledger',
      ],
      BlobBucketName: [
        bucket.bucketName,
        'Raw messages, attachments, entry bodies, quarantine',
      ],
      DeadLetterQueueUrl: [
        this.functions.deadLetterQueue.queueUrl,
        'Async runs that failed every retry',
      ],
      TechmailFunctionName: [
        this.functions.techmail.functionName,
        'The function that runs one mailbox',
      ],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, id, { value, description });
    }
  }
}
