import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../functions/store/tables.js';
import {
  logicalIdOf,
  removeAssembly,
  resourcesOfType,
  type SynthesizedTechmail,
  synthTechmail,
} from './synth-techmail.js';

describe('TechmailFunctions', () => {
  let synth: SynthesizedTechmail;

  beforeAll(() => {
    synth = synthTechmail();
  });

  afterAll(() => removeAssembly(synth.app));

  const logicalId = (construct: IConstruct) =>
    logicalIdOf(synth.stack, construct);

  /** A function's staged bundle: `asset.<hash>` beside the template. */
  const bundleOf = (construct: IConstruct) => {
    const fn = synth.template.toJSON().Resources[logicalId(construct)];
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');

    return join(synth.app.outdir, `asset.${hash}`, 'index.mjs');
  };

  describe('async invocation of techmail', () => {
    it('retries twice and sends what still fails to the dead-letter queue', () => {
      // GIVEN the synthesized stack
      const { template, stack } = synth;

      // WHEN techmail's event invoke config is read
      const queueId = logicalId(stack.functions.deadLetterQueue);

      // THEN it has a retry count, an age limit and an SQS destination
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack.functions.techmail) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        },
      });
    });

    it('sends fan-outs that fail every retry to the same queue, within 10 minutes', () => {
      // GIVEN the synthesized stack
      const { template, stack } = synth;

      // WHEN the fan-out's event invoke config is read
      const queueId = logicalId(stack.functions.deadLetterQueue);

      // THEN a late fan-out is dropped before the next schedule, to the DLQ
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack.functions.fanOut) },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        },
      });
    });

    it('encrypts the dead-letter queue and refuses requests without TLS', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN the queue and its policy are read
      // THEN the queue uses SQS-managed encryption and denies plain HTTP
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  describe('functions', () => {
    it('runs every function on nodejs22.x or newer, on arm64', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN every Lambda function is read
      const functions = resourcesOfType(template, 'AWS::Lambda::Function');

      // THEN all six use a current Node.js runtime on Graviton
      expect(functions).toHaveLength(6);
      for (const [id, fn] of functions) {
        const runtime = String(fn.Properties?.Runtime);
        const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
        expect(major, `${id} runs ${runtime}`).toBeGreaterThanOrEqual(22);
        expect(fn.Properties?.Architectures).toEqual(['arm64']);
      }
    });

    it('gives techmail a 15-minute timeout, its memory prop and a fixed name', () => {
      // GIVEN the default props
      const { template, stack } = synth;

      // WHEN the techmail function is read
      const fn =
        template.toJSON().Resources[logicalId(stack.functions.techmail)];

      // THEN its timeout is Lambda's maximum and the lease matches it
      expect(fn.Properties).toMatchObject({
        Timeout: 900,
        MemorySize: 1024,
        FunctionName: 'TechmailTest-techmail',
        Environment: {
          Variables: {
            TECHMAIL_FUNCTION_NAME: 'TechmailTest-techmail',
            TECHMAIL_LEASE_SECONDS: '900',
          },
        },
      });
    });

    it('gives the fan-out a full vCPU, because dispatch is CPU-bound', () => {
      // GIVEN the default props
      const { template, stack } = synth;

      // WHEN the fan-out function is read
      const fn = template.toJSON().Resources[logicalId(stack.functions.fanOut)];

      // THEN it has the memory at which Lambda gives one vCPU
      expect(fn.Properties.MemorySize).toBe(1769);
    });

    it('runs functions without --enable-source-maps, which parses the map at every cold start', () => {
      // GIVEN the default props
      const { template } = synth;

      // WHEN every function's environment is read
      const functions = Object.values(
        template.findResources('AWS::Lambda::Function'),
      );

      // THEN none sets NODE_OPTIONS
      for (const fn of functions) {
        expect(
          fn.Properties.Environment?.Variables?.NODE_OPTIONS,
        ).toBeUndefined();
      }
    });

    it('sets every variable the runtime config reads on every function', () => {
      // GIVEN the variables functions/commons/config.ts requires
      const { template } = synth;
      const required = [
        ...TABLES.map((table) => table.envVar),
        'BLOB_BUCKET',
        'SECRET_PREFIX',
        'TECHMAIL_FUNCTION_NAME',
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_LOG_LEVEL',
      ];

      // WHEN each function's environment is read
      const functions = resourcesOfType(template, 'AWS::Lambda::Function');

      // THEN none is missing one
      for (const [id, fn] of functions) {
        const { Environment } = fn.Properties as {
          Environment: { Variables: Record<string, unknown> };
        };
        const variables = Environment.Variables;
        expect(Object.keys(variables), id).toEqual(
          expect.arrayContaining(required),
        );
        expect(variables.POWERTOOLS_SERVICE_NAME).toBe('techmail');
      }
    });

    it('sets TECHMAIL_MESSAGE_ID_DOMAIN on the functions that take mail in, only when it is given', () => {
      // GIVEN a stack with a Message-ID domain, and the default one without
      const withDomain = synthTechmail(
        { messageIdDomain: 'mail.helpdesk.example' },
        { bundle: false, stackId: 'TechmailDomain' },
      );
      const domainOf = (of: SynthesizedTechmail) =>
        Object.fromEntries(
          resourcesOfType(of.template, 'AWS::Lambda::Function').map(
            ([id, fn]) => [
              id,
              (
                fn.Properties as {
                  Environment: { Variables: Record<string, unknown> };
                }
              ).Environment.Variables.TECHMAIL_MESSAGE_ID_DOMAIN,
            ],
          ),
        );

      // WHEN each function's variable is read
      const given = domainOf(withDomain);
      const unset = domainOf(synth);
      const { techmail, quarantineApi } = withDomain.stack.functions;
      removeAssembly(withDomain.app);

      // THEN techmail and the quarantine API have it, nothing has it unset
      expect(
        Object.entries(given)
          .filter(([, domain]) => domain !== undefined)
          .sort(),
      ).toEqual(
        [
          [logicalIdOf(withDomain.stack, techmail), 'mail.helpdesk.example'],
          [
            logicalIdOf(withDomain.stack, quarantineApi),
            'mail.helpdesk.example',
          ],
        ].sort(),
      );
      expect(Object.values(unset).every((domain) => domain === undefined)).toBe(
        true,
      );
    });

    it('writes each function log to its own log group with a retention', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN functions and log groups are read
      const functions = resourcesOfType(template, 'AWS::Lambda::Function');

      // THEN every function names a log group that expires its logs
      for (const [, fn] of functions) {
        const { LoggingConfig } = fn.Properties as {
          LoggingConfig: { LogGroup: { Ref: string } };
        };
        const logGroup = LoggingConfig.LogGroup.Ref;
        const group = template.toJSON().Resources[logGroup];
        expect(group.Properties.RetentionInDays).toBe(30);
      }
    });

    it('bundles techmail as ESM whose banner defines require', () => {
      // GIVEN the bundled techmail asset
      const { template, stack } = synth;
      const fn =
        template.toJSON().Resources[logicalId(stack.functions.techmail)];
      const bundle = bundleOf(stack.functions.techmail);

      // WHEN its first line is read
      const firstLine = readFileSync(bundle, 'utf8').split('\n', 1)[0];

      // THEN it creates require from import.meta.url before any module code
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(firstLine).toMatch(
        /^import \{ createRequire as \w+ \} from 'node:module'; const require = \w+\(import\.meta\.url\);/,
      );
    });

    it.each(['techmail', 'quarantineApi'] as const)(
      'loads the %s bundle, which parses mail, as an ES module in a plain Node process',
      (name) => {
        // GIVEN the bundled asset and the environment the stack sets
        const bundle = pathToFileURL(
          bundleOf(synth.stack.functions[name]),
        ).href;

        // WHEN a separate Node process imports it
        const result = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(bundle)}); if (typeof m.handler !== 'function') process.exit(2);`,
          ],
          {
            encoding: 'utf8',
            timeout: 20_000,
            env: {
              PATH: process.env.PATH,
              AWS_REGION: 'eu-west-1',
              MAILBOXES_TABLE: 'techmail-mailboxes',
              RUNS_TABLE: 'techmail-runs',
              INCIDENTS_TABLE: 'techmail-incidents',
              BLOB_BUCKET: 'techmail-blobs',
              TECHMAIL_FUNCTION_NAME: 'TechmailTest-techmail',
            },
          },
        );

        // THEN mailparser's CommonJS requires resolve and the handler exists
        expect(result.stderr).not.toMatch(/Dynamic require|is not defined/);
        expect(result.status).toBe(0);
      },
    );
  });
});
