import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logicalIdOf,
  removeAssembly,
  resourcesOfType,
  type SynthesizedTechmail,
  synthTechmail,
} from './synth-techmail.js';

describe('TechmailAlarms', () => {
  let synth: SynthesizedTechmail;

  beforeAll(() => {
    synth = synthTechmail(
      {
        alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:techmail-ops',
      },
      { bundle: false },
    );
  });

  afterAll(() => removeAssembly(synth.app));

  const logicalId = (construct: IConstruct) =>
    logicalIdOf(synth.stack, construct);

  describe('alarms', () => {
    it('watches techmail errors, fan-out errors, the DLQ, logins and run success', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN the alarms are read
      const names = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(
        ([, alarm]) => alarm.Properties?.AlarmName,
      );

      // THEN each one is there, named after the stack
      expect(names.sort()).toEqual(
        [
          'DeadLetterMessages',
          'FanOutErrors',
          'LoginFailures',
          'NoSuccessfulRuns',
          'TechmailErrors',
        ].map((name) => `TechmailTest-${name}`),
      );
    });

    it('alarms on the LoginFailures metric the techmail function emits', () => {
      // GIVEN the metric namespace and service of functions/commons/powertools
      const { template } = synth;

      // WHEN the login alarm is read
      // THEN it sums LoginFailures of service techmail and notifies the topic
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'TechmailTest-LoginFailures',
        Namespace: 'Techmail',
        MetricName: 'LoginFailures',
        Dimensions: [{ Name: 'service', Value: 'techmail' }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:techmail-ops'],
      });
    });

    it('alarms when messages wait in the dead-letter queue', () => {
      // GIVEN the synthesized stack
      const { template, stack } = synth;

      // WHEN the DLQ alarm is read
      // THEN it watches visible messages of that queue
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'TechmailTest-DeadLetterMessages',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: {
              'Fn::GetAtt': [
                logicalId(stack.functions.deadLetterQueue),
                'QueueName',
              ],
            },
          },
        ],
      });
    });

    it('alarms when runs happen but none succeeds within an hour', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN the run-success alarm is read
      // THEN it subtracts failed runs from finished runs over one hour
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'TechmailTest-NoSuccessfulRuns',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'runs - FILL(failures, 0)' }),
          Match.objectLike({
            Id: 'runs',
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ MetricName: 'Messages_seen' }),
              Period: 3600,
              Stat: 'SampleCount',
            }),
          }),
        ]),
      });
    });
  });
});
