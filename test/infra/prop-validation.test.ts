import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { InvalidPropError } from '../../lib/prop-validation.js';
import { TechmailApi } from '../../lib/techmail-api.js';
import {
  TechmailStack,
  type TechmailStackProps,
} from '../../lib/techmail-stack.js';
import { removeAssembly } from './synth-techmail.js';

/** Builds a stack without bundling and returns what it threw. */
function errorOf(
  props: TechmailStackProps,
  stackId = 'TechmailProps',
): unknown {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  try {
    new TechmailStack(app, stackId, props);
  } catch (error) {
    return error;
  } finally {
    removeAssembly(app);
  }

  return undefined;
}

describe('prop validation', () => {
  it.each([
    ['techmailMemorySize', { techmailMemorySize: 64 }],
    ['techmailMemorySize', { techmailMemorySize: 1024.5 }],
    ['secretPrefix', { secretPrefix: 'techmail mailboxes/' }],
    ['rawMessageRetention', { rawMessageRetention: Duration.hours(36) }],
    ['throttlingRateLimit', { apiThrottlingRateLimit: 0 }],
    ['throttlingBurstLimit', { apiThrottlingBurstLimit: 1.5 }],
    ['messageIdDomain', { messageIdDomain: 'localhost' }],
    ['messageIdDomain', { messageIdDomain: 'https://mail.example.com' }],
  ])('names %s when it is given %o', (prop, props) => {
    // GIVEN props that cannot work on AWS
    // WHEN the stack is built
    const error = errorOf(props);

    // THEN the error names the prop in its field and its message
    expect(error).toBeInstanceOf(InvalidPropError);
    expect((error as InvalidPropError).prop).toBe(prop);
    expect((error as Error).message).toContain(prop);
  });

  it('asks for techmailFunctionName when the stack name is too long for it', () => {
    // GIVEN a stack name that leaves no room for "-techmail" within 64 characters
    const stackId = `Techmail${'X'.repeat(60)}`;

    // WHEN the stack is built
    const error = errorOf({}, stackId);

    // THEN the error says which prop fixes it
    expect((error as InvalidPropError).prop).toBe('techmailFunctionName');
    expect((error as Error).message).toMatch(/shorter name/);
  });

  it('accepts the defaults', () => {
    // GIVEN no props
    // WHEN the stack is built
    const error = errorOf({});

    // THEN nothing is thrown
    expect(error).toBeUndefined();
  });

  it('refuses a TechmailApi throttle above the account limit', () => {
    // GIVEN stand-in functions
    const app = new App();
    const stack = new Stack(app, 'ApiOnly');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
    });

    // WHEN the API is built with a rate of 20 000 requests per second
    const build = () =>
      new TechmailApi(stack, 'Api', {
        mailboxesApi: fn,
        onDemand: fn,
        incidentsApi: fn,
        quarantineApi: fn,
        throttlingRateLimit: 20_000,
      });

    // THEN it names the prop and the range
    expect(build).toThrow(
      /throttlingRateLimit must be a whole number from 1 to 10000/,
    );
    removeAssembly(app);
  });
});
