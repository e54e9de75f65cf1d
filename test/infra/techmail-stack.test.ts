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

describe('TechmailStack', () => {
  let synth: SynthesizedTechmail;

  beforeAll(() => {
    synth = synthTechmail({}, { bundle: false });
  });

  afterAll(() => removeAssembly(synth.app));

  const logicalId = (construct: IConstruct) =>
    logicalIdOf(synth.stack, construct);

  describe('schedule', () => {
    it('invokes the fan-out function every 15 minutes', () => {
      // GIVEN the synthesized stack
      const { template, stack } = synth;

      // WHEN the schedule rule is read
      const rules = resourcesOfType(template, 'AWS::Events::Rule');

      // THEN one rule runs at rate(15 minutes) and targets the fan-out
      expect(rules).toHaveLength(1);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(stack.functions.fanOut), 'Arn'] },
          }),
        ],
      });
    });
  });

  describe('props', () => {
    it('passes techmailMemorySize and secretPrefix down to the techmail function', () => {
      // GIVEN a benchmark-tuned memory size and an own secret prefix
      const tuned = synthTechmail(
        { techmailMemorySize: 1769, secretPrefix: 'acme/techmail/' },
        { bundle: false },
      );

      // WHEN the techmail function is read
      const fn =
        tuned.template.toJSON().Resources[
          logicalIdOf(tuned.stack, tuned.stack.functions.techmail)
        ];
      removeAssembly(tuned.app);

      // THEN it gets that memory and reads secrets under that prefix
      expect(fn.Properties.MemorySize).toBe(1769);
      expect(fn.Properties.Environment.Variables.SECRET_PREFIX).toBe(
        'acme/techmail/',
      );
    });
  });

  describe('outputs', () => {
    it('exports the API URL, the table names and the bucket name', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN the outputs are read
      const outputs = Object.keys(template.findOutputs('*'));

      // THEN ops find every name they need
      expect(outputs).toEqual(
        expect.arrayContaining([
          'ApiUrl',
          'MailboxesTableName',
          'RunsTableName',
          'IncidentsTableName',
          'BlobBucketName',
        ]),
      );
    });
  });
});
