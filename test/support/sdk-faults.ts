/** The AWS services the product's stores call. */
export type FaultService = 'dynamodb' | 's3' | 'secretsmanager';

/**
 * Error names each service really throws when overloaded or failing; the
 * stores classify by these names.
 */
export const SERVICE_ERRORS: Readonly<Record<FaultService, readonly string[]>> =
  {
    dynamodb: [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'InternalServerError',
      'RequestLimitExceeded',
    ],
    s3: ['SlowDown', 'InternalError', 'ServiceUnavailable'],
    secretsmanager: ['InternalServiceError', 'ThrottlingException'],
  };

/**
 * What to do on chosen calls, counted from 1 since
 * {@link SdkFaultInjector.arm} across every attached client, or across the
 * calls to `service` when it is given:
 * - `fail`: throw the service's error instead of sending the request;
 * - `halt-before` / `halt-after`: call `onHalt` and never settle, before
 *   the request is sent or after its response arrived (the process is
 *   then killed from outside, as a crash would stop it).
 */
export interface SdkFaultPlan {
  readonly action: 'fail' | 'halt-before' | 'halt-after';
  /** First faulty call (1-based). */
  readonly fromCall: number;
  /**
   * Faulty calls in a row.
   * @default 1
   */
  readonly count?: number;
  /** Only calls to this service are counted and faulted. */
  readonly service?: FaultService;
  /**
   * Error name thrown by `fail`.
   * @default the service's first entry in SERVICE_ERRORS
   */
  readonly errorName?: string;
}

/** One call seen by the injector. */
export interface SdkCall {
  /** Position among all calls since `arm`. */
  readonly index: number;
  /** Position among the calls to the same service since `arm`. */
  readonly serviceIndex: number;
  readonly service: FaultService;
  readonly command: string;
  readonly fault?: SdkFaultPlan['action'];
}

type Handler = (args: never) => Promise<unknown>;

/** The part of an SDK v3 client's middleware stack used here. */
interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * Injects faults into SDK v3 clients through their middleware stacks, so
 * the production stores run unchanged over a failing service.
 *
 * @example
 * const faults = new SdkFaultInjector();
 * faults.attach(documentClient, 'dynamodb');
 * faults.arm({ action: 'fail', fromCall: 7, service: 'dynamodb' });
 */
export class SdkFaultInjector {
  /** Every call since the last `arm`, in order. */
  readonly calls: SdkCall[] = [];
  private plan: SdkFaultPlan | undefined;
  private halted = false;

  /**
   * @param onHalt called once when a halt fault is reached
   * @default does nothing
   */
  constructor(private readonly onHalt: (call: SdkCall) => void = () => {}) {}

  /**
   * Adds the fault middleware to a client (once per client).
   *
   * @param client an SDK client or the document client
   * @param service which service it talks to
   */
  attach(client: WithMiddleware, service: FaultService): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        // A halted process does nothing more, timers included.
        if (this.halted) return new Promise<never>(() => {});
        const call = this.record(service, String(context.commandName));
        if (call.fault === 'fail') throw serviceError(service, this.plan);
        if (call.fault === 'halt-before') return this.halt(call);
        const output = await next(args);
        if (call.fault === 'halt-after') return this.halt(call);

        return output;
      },
      // Before the SDK's own retries, so each injected error reaches the
      // store as it is, the way a throttle that outlasted them would.
      { step: 'initialize', name: 'techmailFaultInjection', priority: 'high' },
    );
  }

  /**
   * Starts counting calls from 1 with a plan (or none, to count only).
   *
   * @param plan what to do on which calls
   */
  arm(plan?: SdkFaultPlan): void {
    this.plan = plan;
    this.calls.length = 0;
  }

  /** Stops injecting; calls still count. */
  disarm(): void {
    this.plan = undefined;
  }

  /** Calls that got a fault since the last `arm`. */
  get faulted(): SdkCall[] {
    return this.calls.filter((call) => call.fault !== undefined);
  }

  private record(service: FaultService, command: string): SdkCall {
    const index = this.calls.length + 1;
    const serviceIndex =
      this.calls.filter((call) => call.service === service).length + 1;
    const plan = this.plan;
    const position = plan?.service === undefined ? index : serviceIndex;
    const inRange =
      plan !== undefined &&
      (plan.service === undefined || plan.service === service) &&
      position >= plan.fromCall &&
      position < plan.fromCall + (plan.count ?? 1);
    const call: SdkCall = {
      index,
      serviceIndex,
      service,
      command,
      ...(inRange ? { fault: plan.action } : {}),
    };
    this.calls.push(call);

    return call;
  }

  private halt(call: SdkCall): Promise<never> {
    this.halted = true;
    this.onHalt(call);

    return new Promise<never>(() => {});
  }
}

/**
 * The error a service returns, shaped as the SDK throws it: a `name`, a
 * `$fault` and `$metadata` with the HTTP status.
 */
function serviceError(
  service: FaultService,
  plan: SdkFaultPlan | undefined,
): Error {
  const name = plan?.errorName ?? SERVICE_ERRORS[service][0] ?? 'Error';
  const throttling = /Throughput|Throttl|SlowDown|Limit/.test(name);

  return Object.assign(new Error(`injected ${name} (test fault)`), {
    name,
    $fault: throttling ? 'client' : 'server',
    $metadata: { httpStatusCode: throttling ? 400 : 500, attempts: 1 },
  });
}
