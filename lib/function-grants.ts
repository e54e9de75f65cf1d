import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { TechmailTable } from './techmail-data.js';

/** What a function may do with a table. */
export type TableAccess = 'read' | 'write' | 'readWrite';

const DYNAMODB_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];

const DYNAMODB_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * Lets a function read and/or write one table. Readers get each index by
 * name rather than `index/*`, so the grant has no wildcard.
 *
 * @param fn the function
 * @param table the table and its definition (for the index names)
 * @param access read, write or both
 */
export function grantTableAccess(
  fn: lambda.Function,
  { table, definition }: TechmailTable,
  access: TableAccess,
): void {
  const reads = access !== 'write';
  const writes = access !== 'read';
  const indexArns = definition.indexes.map(
    (index) => `${table.tableArn}/index/${index.indexName}`,
  );

  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        ...(reads ? DYNAMODB_READ_ACTIONS : []),
        ...(writes ? DYNAMODB_WRITE_ACTIONS : []),
      ],
      resources: [table.tableArn, ...(reads ? indexArns : [])],
    }),
  );
}

/**
 * Lets a function use objects under some key prefixes of a bucket, and
 * acknowledges the per-prefix wildcard cdk-nag reports.
 *
 * @param fn the function
 * @param bucket the bucket
 * @param actions object actions, e.g. `s3:PutObject`
 * @param prefixes key prefixes ending in `/`
 */
export function grantBlobAccess(
  fn: lambda.Function,
  bucket: s3.Bucket,
  actions: readonly string[],
  prefixes: readonly string[],
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [...actions],
      resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
    }),
  );

  const bucketId = Stack.of(bucket).getLogicalId(
    bucket.node.defaultChild as s3.CfnBucket,
  );
  for (const prefix of prefixes) {
    Validations.of(roleOf(fn)).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason: `Keys under ${prefix} are derived from message content and incident references, so no fixed list of objects exists; the grant is limited to ${actions.join(', ')} under this one prefix.`,
    });
  }
}

/**
 * ARN pattern of every mailbox secret under a prefix. Pseudo parameters
 * rather than `formatArn`, so the ARN (and the id of its cdk-nag
 * acknowledgement) reads the same whatever env the stack is given.
 *
 * @param secretPrefix the service's secret prefix, e.g. `techmail/`
 * @returns `arn:…:secret:<prefix>mailboxes/*`
 */
export function mailboxSecretsArn(secretPrefix: string): string {
  return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretPrefix}mailboxes/*`;
}

/**
 * Lets a function act on the mailbox secrets under the prefix, and only
 * those, acknowledging the wildcard every per-mailbox secret needs.
 *
 * @param fn the function
 * @param secretPrefix the service's secret prefix
 * @param actions Secrets Manager actions
 */
export function grantMailboxSecrets(
  fn: lambda.Function,
  secretPrefix: string,
  actions: readonly string[],
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [...actions],
      resources: [mailboxSecretsArn(secretPrefix)],
    }),
  );
  Validations.of(roleOf(fn)).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}mailboxes/*]`,
    reason:
      'One secret per mailbox, named after the mailbox id, and Secrets Manager appends a random suffix to every secret ARN; the wildcard covers exactly the mailbox secrets under the service prefix and nothing else.',
  });
}

/**
 * Lets a function invoke one function by its unqualified ARN (no `:*`, so
 * no version or alias beyond `$LATEST`).
 *
 * @param fn the caller
 * @param targetArn the function it may invoke
 */
export function grantInvoke(fn: lambda.Function, targetArn: string): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [targetArn],
    }),
  );
}

function roleOf(fn: lambda.Function): iam.IRole {
  if (!fn.role) {
    throw new Error(
      `function ${fn.node.path} has no role; create it with createBundledFunction`,
    );
  }

  return fn.role;
}
