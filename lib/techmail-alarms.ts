import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { assertDurationInRange } from './prop-validation.js';

/** Props of {@link TechmailAlarms}. */
export interface TechmailAlarmsProps {
  /** The function that runs one mailbox. */
  readonly techmail: lambda.IFunction;
  /** The scheduled fan-out. */
  readonly fanOut: lambda.IFunction;
  /** Where failed async runs end up. */
  readonly deadLetterQueue: sqs.IQueue;
  /** CloudWatch namespace the functions emit metrics to. */
  readonly metricsNamespace: string;
  /** The `service` dimension Powertools adds to every metric. */
  readonly serviceName: string;
  /**
   * What to do when an alarm fires (for example an SNS action).
   * @default none: the alarms show in the CloudWatch console only
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * How long mailbox runs may go on without any of them succeeding before
   * the no-successful-run alarm fires. At least two schedule periods.
   * @default Duration.hours(1)
   */
  readonly runSuccessWindow?: Duration;
}

/** The schedule period: the natural evaluation period of run alarms. */
const SCHEDULE_PERIOD = Duration.minutes(15);

/**
 * The alarms ops watch: techmail and fan-out errors, failed runs waiting in
 * the dead-letter queue, rejected mailbox logins, and mailbox runs that
 * keep happening without any of them succeeding.
 */
export class TechmailAlarms extends Construct {
  /** Every alarm, by construct id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props what to watch and whom to tell
   * @throws InvalidPropError when runSuccessWindow is out of range
   */
  constructor(scope: Construct, id: string, props: TechmailAlarmsProps) {
    super(scope, id);
    const window = assertDurationInRange(
      'runSuccessWindow',
      props.runSuccessWindow ?? Duration.hours(1),
      SCHEDULE_PERIOD.toSeconds() * 2,
      86_400,
    );
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic,
        period: SCHEDULE_PERIOD,
      });

    this.alarms = {
      TechmailErrors: this.atLeastOne('TechmailErrors', {
        metric: props.techmail.metricErrors({ period: SCHEDULE_PERIOD }),
        description:
          'A mailbox run threw instead of recording a failed run. Lambda retries it; read the techmail log group for the error.',
      }),
      FanOutErrors: this.atLeastOne('FanOutErrors', {
        metric: props.fanOut.metricErrors({ period: SCHEDULE_PERIOD }),
        description:
          'The scheduled fan-out failed, so mailboxes may not have been run. Read the fan-out log group.',
      }),
      DeadLetterMessages: this.atLeastOne('DeadLetterMessages', {
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        description:
          'A run (or fan-out) failed every retry and waits in the dead-letter queue. Inspect the message, fix the cause, then delete it.',
      }),
      LoginFailures: this.atLeastOne('LoginFailures', {
        metric: metric('LoginFailures', 'Sum'),
        description:
          'A POP3 server rejected a mailbox login. GET /mailboxes shows which mailbox is failing; PATCH its password if it changed.',
      }),
      NoSuccessfulRuns: this.noSuccessfulRuns(metric, window),
    };
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(...(props.alarmActions ?? []));
    }
  }

  private atLeastOne(
    id: string,
    settings: { metric: cloudwatch.IMetric; description: string },
  ): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmName: `${Stack.of(this).stackName}-${id}`,
      alarmDescription: settings.description,
      metric: settings.metric,
      threshold: 1,
      comparisonOperator:
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Every finished run emits one `Messages_seen` sample and a failed one
   * also a `RunFailures` count, so samples minus failures counts the runs
   * that did not fail. No runs at all (no mailboxes yet) is not an alarm;
   * a schedule that stops is caught by FanOutErrors only if it errors.
   */
  private noSuccessfulRuns(
    metric: (metricName: string, statistic: string) => cloudwatch.Metric,
    window: Duration,
  ): cloudwatch.Alarm {
    const runs = metric('Messages_seen', 'SampleCount').with({
      period: window,
    });
    const failures = metric('RunFailures', 'Sum').with({ period: window });
    const succeeded = new cloudwatch.MathExpression({
      expression: 'runs - FILL(failures, 0)',
      usingMetrics: { runs, failures },
      label: 'Runs that did not fail',
      period: window,
    });

    return new cloudwatch.Alarm(this, 'NoSuccessfulRuns', {
      alarmName: `${Stack.of(this).stackName}-NoSuccessfulRuns`,
      alarmDescription: `Mailbox runs happened in the last ${window.toHumanString()} but none succeeded. Check LoginFailures, the techmail log group and GET /runs/{runId} of recent runs.`,
      metric: succeeded,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
