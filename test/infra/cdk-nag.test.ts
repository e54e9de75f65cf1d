import { App, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it } from 'vitest';
import { TechmailStack } from '../../lib/techmail-stack.js';
import { removeAssembly } from './synth-techmail.js';

/** An app checked the way bin/app.ts checks it; bundling is irrelevant here. */
function checkedApp(): {
  app: App;
  stack: TechmailStack;
  checks: AwsSolutionsChecks;
} {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TechmailStack(app, 'TechmailNag');
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);

  return { app, stack, checks };
}

/** Every acknowledgement recorded in the construct tree, with its reason. */
function acknowledgements(root: IConstruct): { id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter(
        (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
      )
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(
          ([id, reason]) => ({
            id: id.replace(/^annotation::/i, ''),
            reason,
          }),
        ),
      ),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  let app: App | undefined;

  afterEach(() => {
    if (app) removeAssembly(app);
  });

  it('leaves no unacknowledged error or warning on the Techmail stack', () => {
    // GIVEN the stack with the AwsSolutions checks registered on the app
    const checked = checkedApp();
    app = checked.app;

    // WHEN the app is synthesized, which runs the checks
    const synthesize = () => checked.app.synth();

    // THEN synthesis succeeds and the pack reports no violation at all
    expect(synthesize).not.toThrow();
    const violations = checked.checks
      .validateScope(checked.app)
      .violations.map(
        (violation) =>
          `${violation.severity} ${violation.ruleName} at ${violation.violatingResources
            .map((resource) => resource.constructPath)
            .join(', ')}`,
      );
    expect(violations).toEqual([]);
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    // GIVEN the stack plus a queue without TLS enforcement or a DLQ
    const checked = checkedApp();
    app = checked.app;
    new sqs.Queue(checked.stack, 'UncheckedQueue');

    // WHEN the app is synthesized
    const synthesize = () => checked.app.synth();

    // THEN the checks stop it
    expect(synthesize).toThrow(/AwsSolutions-SQS4/);
  });

  it('gives every acknowledgement a full rule id and a written reason', () => {
    // GIVEN the stack's acknowledgements
    const checked = checkedApp();
    app = checked.app;

    // WHEN they are collected from the construct tree
    const acknowledged = acknowledgements(checked.stack);

    // THEN each names an AwsSolutions rule and explains itself
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, id).toBeGreaterThanOrEqual(80);
    }
  });
});
