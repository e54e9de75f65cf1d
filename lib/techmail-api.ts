import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MAILBOX_PATCH_SCHEMA, NEW_MAILBOX_SCHEMA } from './mailbox-schemas.js';
import { assertIntegerInRange } from './prop-validation.js';

/** Props of {@link TechmailApi}. */
export interface TechmailApiProps {
  /** Serves `/mailboxes` and `/mailboxes/{id}`. */
  readonly mailboxesApi: lambda.IFunction;
  /** Serves `/mailboxes/{id}/runs`, `/runs` and `/runs/{runId}`. */
  readonly onDemand: lambda.IFunction;
  /** Serves `/incidents` and everything under it. */
  readonly incidentsApi: lambda.IFunction;
  /** Serves `/quarantine` and everything under it. */
  readonly quarantineApi: lambda.IFunction;
  /**
   * Steady-state requests per second the stage accepts across all callers.
   * @default 25
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests the stage accepts in a burst above the rate.
   * @default 50
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Whether this stack sets the account's API Gateway CloudWatch Logs role
   * (one per account and region, needed for access and execution logs).
   * Pass false when another stack already manages it.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

type Target = 'mailboxes' | 'runs' | 'incidents' | 'quarantine';
type BodyModel = 'newMailbox' | 'mailboxPatch';

/** One route of the HTTP API (DESIGN.md's table and the README's). */
interface TechmailRoute {
  /** HTTP method. */
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path template, as the handlers' routers spell it. */
  readonly path: string;
  /** Function that serves it. */
  readonly target: Target;
  /** JSON schema the body must match, when the route takes one. */
  readonly body?: BodyModel;
  /** Optional query string parameters, documented on the method. */
  readonly query?: readonly string[];
}

/** Every route of the API; the same routes the local server serves. */
const TECHMAIL_ROUTES: readonly TechmailRoute[] = [
  {
    method: 'POST',
    path: '/mailboxes',
    target: 'mailboxes',
    body: 'newMailbox',
  },
  { method: 'GET', path: '/mailboxes', target: 'mailboxes' },
  { method: 'GET', path: '/mailboxes/{id}', target: 'mailboxes' },
  {
    method: 'PATCH',
    path: '/mailboxes/{id}',
    target: 'mailboxes',
    body: 'mailboxPatch',
  },
  { method: 'DELETE', path: '/mailboxes/{id}', target: 'mailboxes' },
  { method: 'POST', path: '/mailboxes/{id}/runs', target: 'runs' },
  { method: 'POST', path: '/runs', target: 'runs' },
  { method: 'GET', path: '/runs/{runId}', target: 'runs' },
  {
    method: 'GET',
    path: '/incidents',
    target: 'incidents',
    query: ['mailboxId', 'interfaceId', 'status', 'limit', 'nextToken'],
  },
  { method: 'GET', path: '/incidents/{referenceNumber}', target: 'incidents' },
  {
    method: 'GET',
    path: '/incidents/{referenceNumber}/attachments/{sha256}',
    target: 'incidents',
  },
  {
    method: 'GET',
    path: '/quarantine',
    target: 'quarantine',
    query: ['mailboxId', 'limit', 'nextToken'],
  },
  {
    method: 'POST',
    path: '/quarantine/{mailboxId}/{sha256}/reprocess',
    target: 'quarantine',
  },
];

/**
 * The REST API on API Gateway: every method needs IAM (SigV4)
 * authorization, mailbox bodies are checked against JSON schemas, the
 * stage is throttled and writes JSON access logs, and errors API Gateway
 * answers itself keep the service's `{ error: { code, message } }` shape.
 */
export class TechmailApi extends Construct {
  /** The REST API. */
  readonly api: apigateway.RestApi;
  /** The stage's access log group. */
  readonly accessLogs: logs.LogGroup;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props the functions behind the routes, throttling and logging
   * @throws InvalidPropError when a throttling limit is out of range
   */
  constructor(scope: Construct, id: string, props: TechmailApiProps) {
    super(scope, id);
    const rateLimit = assertIntegerInRange(
      'throttlingRateLimit',
      props.throttlingRateLimit ?? 25,
      1,
      10_000,
    );
    const burstLimit = assertIntegerInRange(
      'throttlingBurstLimit',
      props.throttlingBurstLimit ?? 50,
      1,
      5_000,
    );

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.api = new apigateway.RestApi(this, 'RestApi', {
      description:
        'Techmail: mailboxes, runs, incidents and quarantine (SigV4 only)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole: props.cloudWatchRole ?? true,
      defaultMethodOptions: {
        authorizationType: apigateway.AuthorizationType.IAM,
      },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(
          this.accessLogs,
        ),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Request and response bodies carry mailbox passwords and mail.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    this.addErrorResponses();
    this.addRoutes(props);
    this.acknowledgeFindings();
  }

  private addRoutes(props: TechmailApiProps): void {
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const models = {
      newMailbox: this.api.addModel('NewMailboxModel', {
        contentType: 'application/json',
        schema: NEW_MAILBOX_SCHEMA,
      }),
      mailboxPatch: this.api.addModel('MailboxPatchModel', {
        contentType: 'application/json',
        schema: MAILBOX_PATCH_SCHEMA,
      }),
    };
    const integrations: Record<Target, apigateway.LambdaIntegration> = {
      mailboxes: new apigateway.LambdaIntegration(props.mailboxesApi, {
        allowTestInvoke: false,
      }),
      runs: new apigateway.LambdaIntegration(props.onDemand, {
        allowTestInvoke: false,
      }),
      incidents: new apigateway.LambdaIntegration(props.incidentsApi, {
        allowTestInvoke: false,
      }),
      quarantine: new apigateway.LambdaIntegration(props.quarantineApi, {
        allowTestInvoke: false,
      }),
    };

    for (const route of TECHMAIL_ROUTES) {
      this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, integrations[route.target], {
          authorizationType: apigateway.AuthorizationType.IAM,
          requestValidator: validator,
          requestParameters: requestParameters(route),
          requestModels: route.body
            ? { 'application/json': models[route.body] }
            : undefined,
        });
    }
  }

  private addErrorResponses(): void {
    const body = (code: string) =>
      `{"error":{"code":"${code}","message":$context.error.messageString}}`;
    const json = (template: string) => ({ 'application/json': template });

    // API Gateway's detailed validation message is not JSON-escaped, so it
    // cannot be embedded safely; a body the schema rejects gets the generic
    // "Invalid request body" instead of the function's field-naming one.
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      templates: json(body('ValidationError')),
    });
    this.api.addGatewayResponse('Default4xx', {
      type: apigateway.ResponseType.DEFAULT_4XX,
      templates: json(body('$context.error.responseType')),
    });
    this.api.addGatewayResponse('Default5xx', {
      type: apigateway.ResponseType.DEFAULT_5XX,
      templates: json(body('InternalError')),
    });
  }

  private acknowledgeFindings(): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are AWS principals (ops and admin roles, agent tooling) signing with SigV4; every method uses AWS_IAM authorization as the design requires, so there is no Cognito user pool to attach.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Every method rejects unsigned requests before any integration runs and the stage is throttled; a WAF web ACL is left to ops who expose the API beyond their own principals, since it adds a monthly cost per ACL.',
      },
    );
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'API Gateway assumes this account-level role only to write its own access and execution logs; the AWS-maintained policy is the one AWS documents for exactly that role.',
      });
    }
  }
}

function requestParameters(
  route: TechmailRoute,
): Record<string, boolean> | undefined {
  const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(
    (match) => [`method.request.path.${match[1]}`, true] as const,
  );
  const queryParameters = (route.query ?? []).map(
    (name) => [`method.request.querystring.${name}`, false] as const,
  );
  const all = [...pathParameters, ...queryParameters];

  return all.length > 0 ? Object.fromEntries(all) : undefined;
}
