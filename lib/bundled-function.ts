import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** What differs between the service's functions. */
export interface BundledFunctionSettings {
  /** Handler file under `functions/`, e.g. `techmail.ts`. */
  readonly entry: string;
  /** Console description. */
  readonly description: string;
  /** Memory in MB. */
  readonly memorySize: number;
  /** Invocation timeout. */
  readonly timeout: Duration;
  /** Environment variables. */
  readonly environment: Readonly<Record<string, string>>;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Physical function name.
   * @default a name CloudFormation generates
   */
  readonly functionName?: string;
}

/**
 * Defines `require` in the ESM bundle: mailparser and its dependencies are
 * CommonJS and call `require` for Node built-ins, which ESM lacks.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as techmailCreateRequire } from 'node:module'; const require = techmailCreateRequire(import.meta.url);";

const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/**
 * Builds one of the service's functions: bundled locally by esbuild as an
 * ESM module (no Docker), nodejs22.x on arm64, with its own log group and
 * its own role that may write only to that log group until grants are
 * added.
 *
 * @param scope where the function, its role and its log group go
 * @param id construct id of the function; the role and log group get
 *   `<id>Role` and `<id>Logs`
 * @param settings entry, sizing, environment and log retention
 * @returns the function
 * @example
 * const fn = createBundledFunction(this, 'FanOut', {
 *   entry: 'fan-out.ts', description: 'Fan-out', memorySize: 256,
 *   timeout: Duration.minutes(2), environment: {},
 *   logRetention: logs.RetentionDays.ONE_MONTH,
 * });
 */
export function createBundledFunction(
  scope: Construct,
  id: string,
  settings: BundledFunctionSettings,
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: settings.logRetention,
  });
  // An own role instead of the managed basic-execution policy, whose log
  // grant covers every log group in the account.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Techmail ${id} function`,
  });
  logGroup.grantWrite(role);

  return new nodejs.NodejsFunction(scope, id, {
    entry: `${FUNCTIONS_DIR}${settings.entry}`,
    handler: 'handler',
    functionName: settings.functionName,
    description: settings.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: settings.memorySize,
    timeout: settings.timeout,
    role,
    logGroup,
    // No --enable-source-maps: Node would read and parse the whole map
    // (as large as the bundle) at every cold start, ~40 to 70 ms for the
    // techmail function. Names are kept, so stack traces stay readable, and
    // the map beside the bundle turns a logged position into a source line.
    environment: settings.environment,
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: ESM_REQUIRE_BANNER,
      // The SDK is bundled at the versions the tests ran against rather
      // than taken from whatever the runtime ships.
      externalModules: [],
      minify: true,
      keepNames: true,
      sourceMap: true,
      sourcesContent: false,
      forceDockerBundling: false,
    },
  });
}
