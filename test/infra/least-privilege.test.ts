import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entryBodyKey,
  quarantineKey,
  rawMessageKey,
} from '../../functions/techmail/process-message.js';
import {
  identityStatements,
  logicalIdOf,
  type RenderedStatement,
  removeAssembly,
  resourcesOfType,
  type SynthesizedTechmail,
  synthTechmail,
} from './synth-techmail.js';

const SECRET_PATTERN =
  'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:acme/techmail/mailboxes/*';

describe('least-privilege grants', () => {
  let synth: SynthesizedTechmail;
  let statements: RenderedStatement[];

  beforeAll(() => {
    synth = synthTechmail(
      { secretPrefix: 'acme/techmail/' },
      { bundle: false },
    );
    statements = identityStatements(synth.template);
  });

  afterAll(() => removeAssembly(synth.app));

  const idOf = (construct: IConstruct) => logicalIdOf(synth.stack, construct);

  /** The statements attached to a function's role. */
  const grantsOf = (fn: lambda.IFunction) => {
    const roleId = `<${idOf(fn.role as iam.Role)}>`;

    return statements.filter((statement) => statement.roleIds.includes(roleId));
  };

  const tableArn = (name: 'Mailboxes' | 'Runs' | 'Incidents') =>
    `<${idOf(synth.stack.data.tables[name].table)}.Arn>`;
  const bucketArn = () => `<${idOf(synth.stack.data.bucket)}.Arn>`;

  const actionsOn = (fn: lambda.IFunction, resource: string) =>
    grantsOf(fn)
      .filter((statement) => statement.resources.includes(resource))
      .flatMap((statement) => statement.actions);

  describe('techmail', () => {
    it('reads only the secrets under the configured prefix', () => {
      // GIVEN the techmail function with secretPrefix acme/techmail/
      const { techmail } = synth.stack.functions;

      // WHEN its Secrets Manager grants are read
      const secretGrants = grantsOf(techmail).filter((statement) =>
        statement.actions.some((action) =>
          action.startsWith('secretsmanager:'),
        ),
      );

      // THEN it may only read, and only the mailbox secrets of that prefix
      expect(secretGrants).toHaveLength(1);
      expect(secretGrants[0]?.actions).toEqual([
        'secretsmanager:GetSecretValue',
      ]);
      expect(secretGrants[0]?.resources).toEqual([SECRET_PATTERN]);
    });

    it('writes only its three tables and its bucket', () => {
      // GIVEN the techmail function
      const { techmail } = synth.stack.functions;

      // WHEN the resources of its DynamoDB and S3 grants are read
      const dataResources = grantsOf(techmail)
        .filter((statement) =>
          statement.actions.some((action) => /^(dynamodb|s3):/.test(action)),
        )
        .flatMap((statement) => statement.resources);

      // THEN each one belongs to the service's tables or blob bucket
      const own = [
        tableArn('Mailboxes'),
        tableArn('Runs'),
        tableArn('Incidents'),
        bucketArn(),
      ];
      for (const resource of dataResources) {
        expect(
          own.some((arn) => resource.startsWith(arn)),
          resource,
        ).toBe(true);
      }
    });

    it('puts blobs only under the prefixes the runtime writes', () => {
      // GIVEN the keys process-message.ts builds
      const { techmail } = synth.stack.functions;
      const keys = [
        rawMessageKey('mbx-1', 'ab'),
        quarantineKey('mbx-1', 'ab'),
        entryBodyKey('260101-000001', 'e1'),
        'attachments/260101-000001/e1/ab',
      ];

      // WHEN the S3 grant is read
      const [blobGrant] = grantsOf(techmail).filter((statement) =>
        statement.actions.some((action) => action.startsWith('s3:')),
      );
      const prefixes = (blobGrant?.resources ?? []).map((resource) =>
        resource.replace(`${bucketArn()}/`, '').replace(/\*$/, ''),
      );

      // THEN it may only put objects, and every key falls under a granted prefix
      expect(blobGrant?.actions).toEqual(['s3:PutObject']);
      for (const key of keys) {
        expect(
          prefixes.some((prefix) => key.startsWith(prefix)),
          key,
        ).toBe(true);
      }
    });
  });

  describe('invoking techmail', () => {
    it('is allowed to techmail, fan-out and on-demand, on techmail alone', () => {
      // GIVEN every function's grants
      const { functions } = synth.stack;
      const techmailArn =
        'arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:TechmailTest-techmail';

      // WHEN the lambda:InvokeFunction statements are read
      const invokers = statements.filter((statement) =>
        statement.actions.includes('lambda:InvokeFunction'),
      );

      // THEN exactly the three dispatchers hold one, scoped to techmail
      const invokerRoles = invokers.flatMap((statement) => statement.roleIds);
      const dispatchers = [
        functions.techmail,
        functions.fanOut,
        functions.onDemand,
      ];
      expect(invokerRoles.sort()).toEqual(
        dispatchers.map((fn) => `<${idOf(fn.role as iam.Role)}>`).sort(),
      );
      for (const statement of invokers) {
        expect(statement.resources).toEqual([techmailArn]);
      }
    });
  });

  describe('the mailbox API', () => {
    it('manages secrets only under the prefix and never reads them', () => {
      // GIVEN the mailbox API function
      const { mailboxesApi } = synth.stack.functions;

      // WHEN its Secrets Manager grants are read
      const actions = actionsOn(mailboxesApi, SECRET_PATTERN);
      const allSecretActions = grantsOf(mailboxesApi)
        .flatMap((statement) => statement.actions)
        .filter((action) => action.startsWith('secretsmanager:'));

      // THEN it may create, update and delete, and all of it on the prefix
      expect(actions.sort()).toEqual([
        'secretsmanager:CreateSecret',
        'secretsmanager:DeleteSecret',
        'secretsmanager:PutSecretValue',
      ]);
      expect(allSecretActions.sort()).toEqual(actions);
    });

    it('touches no table but Mailboxes', () => {
      // GIVEN the mailbox API function
      const { mailboxesApi } = synth.stack.functions;

      // WHEN its grants on Runs and Incidents are read
      const other = [
        ...actionsOn(mailboxesApi, tableArn('Runs')),
        ...actionsOn(mailboxesApi, tableArn('Incidents')),
      ];

      // THEN there are none
      expect(other).toEqual([]);
    });
  });

  describe('the incidents API', () => {
    it('reads incidents, and writes nothing but entry bodies it links to', () => {
      // GIVEN the incidents API function
      const { incidentsApi } = synth.stack.functions;

      // WHEN all its data actions are read
      const actions = grantsOf(incidentsApi)
        .flatMap((statement) => statement.actions)
        .filter((action) => /^(dynamodb|s3|secretsmanager):/.test(action));

      // THEN it reads the Incidents table and no other, and reaches no secret
      expect([...new Set(actions)].sort()).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        's3:GetObject',
        's3:PutObject',
      ]);
      expect(actionsOn(incidentsApi, tableArn('Mailboxes'))).toEqual([]);
      expect(actionsOn(incidentsApi, tableArn('Runs'))).toEqual([]);
    });

    it('may GetObject what it presigns links to, and PutObject only under bodies/', () => {
      // GIVEN the incidents API function
      const { incidentsApi } = synth.stack.functions;

      // WHEN its object grants are read by prefix
      const attachments = actionsOn(
        incidentsApi,
        `${bucketArn()}/attachments/*`,
      );
      const bodies = actionsOn(incidentsApi, `${bucketArn()}/bodies/*`);
      const others = ['raw', 'quarantine'].flatMap((prefix) =>
        actionsOn(incidentsApi, `${bucketArn()}/${prefix}/*`),
      );

      // THEN attachments and bodies are readable, bodies writable, and no more
      expect(attachments).toEqual(['s3:GetObject']);
      expect(bodies.sort()).toEqual(['s3:GetObject', 's3:PutObject']);
      expect(others).toEqual([]);
    });
  });

  describe('the quarantine API', () => {
    it('reads quarantined mail and writes what reprocessing a message writes', () => {
      // GIVEN the quarantine API function
      const { quarantineApi } = synth.stack.functions;

      // WHEN its grants are read by resource
      const quarantined = actionsOn(
        quarantineApi,
        `${bucketArn()}/quarantine/*`,
      );
      const written = ['raw', 'attachments', 'bodies'].map((prefix) =>
        actionsOn(quarantineApi, `${bucketArn()}/${prefix}/*`),
      );

      // THEN it reads mailboxes, reads and writes incidents, reads and
      // re-quarantines quarantine/, and only puts under the run's prefixes
      expect(actionsOn(quarantineApi, tableArn('Mailboxes')).sort()).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
      ]);
      expect(actionsOn(quarantineApi, tableArn('Incidents'))).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem']),
      );
      expect(quarantined.sort()).toEqual(['s3:GetObject', 's3:PutObject']);
      expect(written).toEqual([
        ['s3:PutObject'],
        ['s3:PutObject'],
        ['s3:PutObject'],
      ]);
    });

    it('touches no run record, no secret and no function', () => {
      // GIVEN the quarantine API function
      const { quarantineApi } = synth.stack.functions;

      // WHEN its grants are read
      const actions = grantsOf(quarantineApi).flatMap(
        (statement) => statement.actions,
      );

      // THEN none reaches Runs, Secrets Manager or Lambda
      expect(actionsOn(quarantineApi, tableArn('Runs'))).toEqual([]);
      expect(
        actions.filter((action) => /^(secretsmanager|lambda):/.test(action)),
      ).toEqual([]);
    });
  });

  describe('the fan-out', () => {
    it('only writes runs and has no access to incidents, blobs or secrets', () => {
      // GIVEN the fan-out function
      const { fanOut } = synth.stack.functions;

      // WHEN its grants are read
      const actions = grantsOf(fanOut).flatMap(
        (statement) => statement.actions,
      );

      // THEN run records are written, never read, and nothing else is reachable
      expect(actionsOn(fanOut, tableArn('Runs')).sort()).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(actionsOn(fanOut, tableArn('Incidents'))).toEqual([]);
      expect(
        actions.filter((action) => /^(s3|secretsmanager):/.test(action)),
      ).toEqual([]);
    });
  });

  describe('wildcards', () => {
    it('grants no action with a wildcard and no resource "*"', () => {
      // GIVEN every identity policy statement
      // WHEN actions and resources are scanned
      const wildActions = statements.flatMap((statement) =>
        statement.actions.filter((action) => action.includes('*')),
      );
      const starResources = statements.filter((statement) =>
        statement.resources.includes('*'),
      );

      // THEN there are none
      expect(wildActions).toEqual([]);
      expect(starResources).toEqual([]);
    });

    it('keeps resource wildcards to object prefixes and mailbox secrets', () => {
      // GIVEN every identity policy statement
      const allowed = [
        new RegExp(
          `^${escapeRegExp(bucketArn())}/(raw|quarantine|attachments|bodies)/\\*$`,
        ),
        new RegExp(`^${escapeRegExp(SECRET_PATTERN)}$`),
      ];

      // WHEN the resources containing "*" are collected
      const wild = statements
        .flatMap((statement) => statement.resources)
        .filter((resource) => resource.includes('*'));

      // THEN each is one of the acknowledged, unavoidable patterns
      expect(wild.length).toBeGreaterThan(0);
      for (const resource of wild) {
        expect(
          allowed.some((pattern) => pattern.test(resource)),
          resource,
        ).toBe(true);
      }
    });

    it('attaches no managed policy to any function role', () => {
      // GIVEN every role of the stack
      const roles = resourcesOfType(synth.template, 'AWS::IAM::Role');

      // WHEN the roles Lambda assumes are read
      const functionRoles = roles.filter(([, role]) =>
        JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes(
          'lambda.amazonaws.com',
        ),
      );

      // THEN none has the account-wide basic execution policy or any other
      expect(functionRoles).toHaveLength(6);
      for (const [id, role] of functionRoles) {
        expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      }
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
