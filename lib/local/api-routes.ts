import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { ValidationError } from '../../functions/commons/errors.js';

const PARAMETER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const LITERAL = /^[A-Za-z0-9._~-]+$/;

/** HTTP methods the API's routes use. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A Lambda handler behind an API Gateway REST proxy integration. */
export type ApiHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

/** One route of the API: method, resource template and its handler. */
export interface ApiRoute {
  readonly method: HttpMethod;
  /** Resource template as on API Gateway, e.g. `/mailboxes/{id}`. */
  readonly resource: string;
  readonly handler: ApiHandler;
  /**
   * Function name the handler's context reports.
   * @default 'api'
   */
  readonly functionName?: string;
}

interface Resource {
  readonly template: string;
  readonly segments: readonly string[];
  readonly methods: Map<string, ApiRoute>;
}

/** A response the local API Gateway gives without reaching a handler. */
export class GatewayError extends Error {
  /**
   * @param statusCode HTTP status
   * @param code the `error.code` of the API's error shape
   * @param message the `error.message`; generic for 5xx
   * @param headers extra response headers, e.g. `allow`
   * @default headers {}
   */
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** A route matched to a request, with its path parameters' values. */
export interface RouteMatch {
  readonly route: ApiRoute;
  readonly pathParameters: Record<string, string>;
}

/**
 * The routes, grouped by resource with literal-heavy templates first, so a
 * literal segment wins over a `{parameter}` one as on API Gateway.
 */
export class RouteTable {
  private readonly resources: readonly Resource[];

  /**
   * @param routes the routes; each method + resource pair at most once
   * @throws ValidationError naming `routes` when a route is malformed
   */
  constructor(routes: readonly ApiRoute[]) {
    this.resources = compileRoutes(routes);
  }

  /**
   * Finds the route for a request.
   *
   * @param method the request's HTTP method
   * @param path the request's path, without a trailing slash
   * @returns the route and the decoded path parameters
   * @throws GatewayError 404 for no resource, 405 (with `allow`) for a
   * method the resource lacks, 400 for a malformed escape
   */
  find(method: string, path: string): RouteMatch {
    const segments = path.split('/').slice(1);
    for (const resource of this.resources) {
      const pathParameters = matchSegments(resource.segments, segments);
      if (!pathParameters) continue;
      const route = resource.methods.get(method);
      if (!route) {
        const allowed = [...resource.methods.keys()].join(', ');
        throw new GatewayError(
          405,
          'MethodNotAllowed',
          `${method} is not allowed on ${resource.template}; use ${allowed}`,
          { allow: allowed },
        );
      }

      return { route, pathParameters };
    }

    throw new GatewayError(404, 'NotFound', `no route matches ${path}`);
  }
}

function matchSegments(
  template: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const segment = segments[index] ?? '';
    const name = PARAMETER.exec(part)?.[1];
    if (name === undefined) {
      if (part !== segment) return undefined;
    } else if (segment === '') {
      return undefined;
    } else {
      parameters[name] = decodeSegment(segment);
    }
  }

  return parameters;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GatewayError(
      400,
      'BadRequest',
      'the path is not valid URL encoding',
    );
  }
}

function compileRoutes(routes: readonly ApiRoute[]): Resource[] {
  const byTemplate = new Map<string, Resource>();
  for (const route of routes) {
    const segments = route.resource.split('/').slice(1);
    const valid =
      route.resource.startsWith('/') &&
      segments.every((part) => PARAMETER.test(part) || LITERAL.test(part));
    if (!valid) {
      throw new ValidationError(
        'routes',
        `route resource ${route.resource} must be /-separated literals or {name} segments`,
      );
    }
    const resource = byTemplate.get(route.resource) ?? {
      template: route.resource,
      segments,
      methods: new Map<string, ApiRoute>(),
    };
    if (resource.methods.has(route.method)) {
      throw new ValidationError(
        'routes',
        `route ${route.method} ${route.resource} is given twice; keep one`,
      );
    }
    resource.methods.set(route.method, route);
    byTemplate.set(route.resource, resource);
  }
  const literals = (resource: Resource): number =>
    resource.segments.filter((part) => !PARAMETER.test(part)).length;

  return [...byTemplate.values()].sort((a, b) => literals(b) - literals(a));
}
