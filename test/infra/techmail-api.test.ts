import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logicalIdOf,
  removeAssembly,
  renderValue,
  resourcesOfType,
  type SynthesizedTechmail,
  synthTechmail,
  type TemplateResource,
} from './synth-techmail.js';

/**
 * The routes of the HTTP API: DESIGN.md's table, the attachment download
 * and the quarantine routes (the README's table).
 */
const API_ROUTES = [
  'POST /mailboxes',
  'GET /mailboxes',
  'GET /mailboxes/{id}',
  'PATCH /mailboxes/{id}',
  'DELETE /mailboxes/{id}',
  'POST /mailboxes/{id}/runs',
  'POST /runs',
  'GET /runs/{runId}',
  'GET /incidents',
  'GET /incidents/{referenceNumber}',
  'GET /incidents/{referenceNumber}/attachments/{sha256}',
  'GET /quarantine',
  'POST /quarantine/{mailboxId}/{sha256}/reprocess',
];

describe('TechmailApi', () => {
  let synth: SynthesizedTechmail;
  let methods: [string, TemplateResource][];
  let pathOf: (resourceId: unknown) => string;

  beforeAll(() => {
    synth = synthTechmail({}, { bundle: false });
    methods = resourcesOfType(synth.template, 'AWS::ApiGateway::Method');
    const resources = Object.fromEntries(
      resourcesOfType(synth.template, 'AWS::ApiGateway::Resource'),
    );
    pathOf = (resourceId) => {
      const id = renderValue(resourceId).replace(
        /^<(.*?)(\.RootResourceId)?>$/,
        '$1',
      );
      const resource = resources[id];
      if (!resource) return '';

      const { ParentId, PathPart } = resource.Properties as {
        ParentId: unknown;
        PathPart: string;
      };

      return `${pathOf(ParentId)}/${PathPart}`;
    };
  });

  afterAll(() => removeAssembly(synth.app));

  const route = ([, method]: [string, TemplateResource]) => {
    const properties = method.Properties as {
      HttpMethod: string;
      ResourceId: unknown;
    };

    return `${properties.HttpMethod} ${pathOf(properties.ResourceId) || '/'}`;
  };

  const schemaOf = (routeName: string) => {
    const method = methods.find((candidate) => route(candidate) === routeName);
    const models = method?.[1].Properties.RequestModels as Record<
      string,
      unknown
    >;
    const modelId = renderValue(models['application/json']).slice(1, -1);

    return synth.template.toJSON().Resources[modelId].Properties.Schema;
  };

  it('serves exactly the routes of the HTTP API', () => {
    // GIVEN the synthesized API
    // WHEN each method is turned back into "METHOD /path"
    const routes = methods.map(route);

    // THEN they are the API's routes, no more and no fewer
    expect(routes.sort()).toEqual([...API_ROUTES].sort());
  });

  it('sends attachment downloads to the incidents function and quarantine routes to its own', () => {
    // GIVEN the functions behind the API
    const { functions } = synth.stack;
    const arnOf = (fn: IConstruct) => `<${logicalIdOf(synth.stack, fn)}.Arn>`;

    // WHEN the integrations of the new routes are read
    const targetOf = (routeName: string) => {
      const method = methods.find(
        (candidate) => route(candidate) === routeName,
      );
      const integration = method?.[1].Properties.Integration as {
        Uri: unknown;
      };

      return renderValue(integration.Uri);
    };

    // THEN each reaches the function that serves it
    expect(
      targetOf('GET /incidents/{referenceNumber}/attachments/{sha256}'),
    ).toContain(arnOf(functions.incidentsApi));
    for (const routeName of [
      'GET /quarantine',
      'POST /quarantine/{mailboxId}/{sha256}/reprocess',
    ]) {
      expect(targetOf(routeName)).toContain(arnOf(functions.quarantineApi));
    }
  });

  it('requires IAM (SigV4) authorization on every method but OPTIONS', () => {
    // GIVEN every method of the API
    const guarded = methods.filter(
      ([, method]) => method.Properties.HttpMethod !== 'OPTIONS',
    );

    // WHEN their authorization types are read
    const open = guarded
      .filter(([, method]) => method.Properties.AuthorizationType !== 'AWS_IAM')
      .map(route);

    // THEN none is reachable without a signature
    expect(guarded.length).toBe(API_ROUTES.length);
    expect(open).toEqual([]);
  });

  it('validates every method with a validator that checks bodies and parameters', () => {
    // GIVEN the request validator
    const { template } = synth;
    const validators = resourcesOfType(
      template,
      'AWS::ApiGateway::RequestValidator',
    );
    const validatorId = validators[0]?.[0];

    // WHEN the methods are read
    const unvalidated = methods
      .filter(
        ([, method]) =>
          renderValue(method.Properties.RequestValidatorId) !==
          `<${validatorId}>`,
      )
      .map(route);

    // THEN each one uses the only validator, and it checks both
    expect(validators).toHaveLength(1);
    expect(unvalidated).toEqual([]);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('checks POST /mailboxes against a schema that requires the account fields', () => {
    // GIVEN the create-mailbox method
    const routeName = 'POST /mailboxes';

    // WHEN its request model is read
    const schema = schemaOf(routeName);

    // THEN the schema needs name, server, account and password
    expect(schema).toMatchObject({
      type: 'object',
      required: ['name', 'popServer', 'popAccount', 'password'],
      properties: {
        security: { enum: ['tls', 'starttls', 'none'] },
        popPort: { type: 'integer', minimum: 1, maximum: 65_535 },
        floodWindowHours: { type: 'integer', minimum: 1, maximum: 168 },
        addresses: { type: 'array', maxItems: 50 },
      },
    });
  });

  it('checks PATCH /mailboxes/{id} against a schema that needs one field', () => {
    // GIVEN the change-mailbox method
    const routeName = 'PATCH /mailboxes/{id}';

    // WHEN its request model is read
    const schema = schemaOf(routeName);

    // THEN nothing is required, but an empty body is refused
    expect(schema.required).toBeUndefined();
    expect(schema.minProperties).toBe(1);
  });

  it('throttles the stage and never logs request bodies', () => {
    // GIVEN the synthesized API
    const { template } = synth;

    // WHEN the stage is read
    // THEN it is throttled, logs errors only and has data tracing off
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 25,
          ThrottlingBurstLimit: 50,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it('writes JSON access logs to a log group with a retention', () => {
    // GIVEN the synthesized API
    const { template, stack } = synth;
    const logGroupId = logicalIdOf(stack, stack.api.accessLogs);

    // WHEN the stage and the log group are read
    // THEN the stage logs every request, with the caller, to that group
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        Format: Match.stringLikeRegexp('"user":"\\$context.identity.user"'),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
    });
  });

  it('answers its own errors in the service error shape', () => {
    // GIVEN the synthesized API
    const { template } = synth;

    // WHEN the gateway responses are read
    const templates = resourcesOfType(
      template,
      'AWS::ApiGateway::GatewayResponse',
    ).map(([, response]) => ({
      type: response.Properties.ResponseType,
      body: (response.Properties.ResponseTemplates as Record<string, string>)[
        'application/json'
      ],
    }));

    // THEN bad bodies, other 4xx and 5xx all use { error: { code, message } }
    expect(templates).toEqual(
      expect.arrayContaining([
        {
          type: 'BAD_REQUEST_BODY',
          body: '{"error":{"code":"ValidationError","message":$context.error.messageString}}',
        },
        {
          type: 'DEFAULT_4XX',
          body: '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}',
        },
        {
          type: 'DEFAULT_5XX',
          body: '{"error":{"code":"InternalError","message":$context.error.messageString}}',
        },
      ]),
    );
  });
});
