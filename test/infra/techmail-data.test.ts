import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INCIDENTS_TTL_ATTRIBUTE,
  TABLES,
} from '../../functions/store/tables.js';
import {
  logicalIdOf,
  removeAssembly,
  resourcesOfType,
  type SynthesizedTechmail,
  synthTechmail,
} from './synth-techmail.js';

describe('TechmailData', () => {
  let synth: SynthesizedTechmail;

  beforeAll(() => {
    synth = synthTechmail({}, { bundle: false });
  });

  afterAll(() => removeAssembly(synth.app));

  const logicalId = (construct: IConstruct) =>
    logicalIdOf(synth.stack, construct);

  describe('tables', () => {
    it('builds one table per shared key schema with its indexes', () => {
      // GIVEN the runtime's table definitions
      const { template } = synth;

      // WHEN the tables are read
      const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');

      // THEN each definition has a table with pk/sk and the same GSIs
      expect(tables).toHaveLength(TABLES.length);
      for (const definition of TABLES) {
        template.hasResourceProperties('AWS::DynamoDB::Table', {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes:
            definition.indexes.length === 0
              ? Match.absent()
              : definition.indexes.map((index) => ({
                  IndexName: index.indexName,
                  KeySchema: [
                    { AttributeName: index.partitionKey, KeyType: 'HASH' },
                    { AttributeName: index.sortKey, KeyType: 'RANGE' },
                  ],
                  Projection: { ProjectionType: 'ALL' },
                })),
        });
      }
    });

    it('expires items of the Incidents table by the attribute the flood counters set, and nothing elsewhere', () => {
      // GIVEN the synthesized stack
      const { template, stack } = synth;
      const incidentsId = logicalId(stack.data.tables.Incidents.table);

      // WHEN the tables' TTL settings are read
      const ttl = Object.fromEntries(
        resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id, table]) => [
          id,
          table.Properties.TimeToLiveSpecification,
        ]),
      );

      // THEN only Incidents has one, on the counters' attribute
      expect(ttl).toEqual({
        [incidentsId]: {
          AttributeName: INCIDENTS_TTL_ATTRIBUTE,
          Enabled: true,
        },
        [logicalId(stack.data.tables.Mailboxes.table)]: undefined,
        [logicalId(stack.data.tables.Runs.table)]: undefined,
      });
    });

    it('gives every table on-demand billing, PITR, encryption and RETAIN', () => {
      // GIVEN the synthesized stack
      const { template } = synth;

      // WHEN every table is read
      const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');

      // THEN each one is protected the same way
      for (const [, table] of tables) {
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: {
            PointInTimeRecoveryEnabled: true,
          },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
        });
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.UpdateReplacePolicy).toBe('Retain');
      }
    });
  });

  describe('blob bucket', () => {
    it('is encrypted, private, TLS-only, versioned, logged and retained', () => {
      // GIVEN the synthesized stack
      const { template, stack } = synth;
      const bucketId = logicalId(stack.data.bucket);

      // WHEN the bucket and its policy are read
      const bucket = template.toJSON().Resources[bucketId];

      // THEN every protection is on
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: {
          DestinationBucketName: {
            Ref: logicalId(stack.data.accessLogsBucket),
          },
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
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

    it('expires raw and quarantined messages after 90 days and keeps bodies', () => {
      // GIVEN the default retention
      const { template, stack } = synth;

      // WHEN the lifecycle rules are read
      const bucket = template.toJSON().Resources[logicalId(stack.data.bucket)];
      const rules = bucket.Properties.LifecycleConfiguration.Rules;

      // THEN only raw/ and quarantine/ expire; old versions go after 30 days
      expect(rules).toEqual([
        {
          Id: 'ExpireRawMessages',
          Prefix: 'raw/',
          ExpirationInDays: 90,
          Status: 'Enabled',
        },
        {
          Id: 'ExpireQuarantinedMessages',
          Prefix: 'quarantine/',
          ExpirationInDays: 90,
          Status: 'Enabled',
        },
        {
          Id: 'ExpireOldVersions',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          ExpiredObjectDeleteMarker: true,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          Status: 'Enabled',
        },
      ]);
    });
  });
});
