import { rmSync } from 'node:fs';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import {
  TechmailStack,
  type TechmailStackProps,
} from '../../lib/techmail-stack.js';

/** A synthesized Techmail stack and the app that holds it. */
export interface SynthesizedTechmail {
  readonly app: App;
  readonly stack: TechmailStack;
  readonly template: Template;
}

/** Options of {@link synthTechmail}. */
export interface SynthOptions {
  /**
   * Bundle the functions with esbuild, as `cdk synth` does. Tests that only
   * read the template skip it to stay fast.
   * @default true
   */
  readonly bundle?: boolean;
  /**
   * Id (and name) of the stack.
   * @default 'TechmailTest'
   */
  readonly stackId?: string;
}

/**
 * Builds and synthesizes a Techmail stack in a fresh app whose cloud
 * assembly lives in a temporary directory.
 *
 * @param props the stack's props
 * @param options bundling and naming
 * @returns the app, the stack and its template
 */
export function synthTechmail(
  props: TechmailStackProps = {},
  options: SynthOptions = {},
): SynthesizedTechmail {
  const app = new App({
    context: options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {},
  });
  const stack = new TechmailStack(
    app,
    options.stackId ?? 'TechmailTest',
    props,
  );

  return { app, stack, template: Template.fromStack(stack) };
}

/**
 * Deletes the app's temporary cloud assembly (bundles included).
 *
 * @param app the app built by {@link synthTechmail}
 */
export function removeAssembly(app: App): void {
  rmSync(app.outdir, { recursive: true, force: true });
}

/** A CloudFormation resource as it appears in the template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

/**
 * The template's resources of one type, by logical id.
 *
 * @param template the synthesized template
 * @param type a CloudFormation type such as `AWS::IAM::Policy`
 * @returns logical id and resource pairs
 */
export function resourcesOfType(
  template: Template,
  type: string,
): [string, TemplateResource][] {
  return Object.entries(template.findResources(type)) as [
    string,
    TemplateResource,
  ][];
}

/**
 * Renders an intrinsic-laden value as readable text: `Fn::Join` is joined,
 * `Ref` becomes `<Id>` and `Fn::GetAtt` becomes `<Id.Attr>`, so tests can
 * match ARNs with regular expressions.
 *
 * @param value a template value
 * @returns its text form
 * @example
 * renderValue({ 'Fn::GetAtt': ['Queue', 'Arn'] }); // '<Queue.Arn>'
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(renderValue).join(',');
  const object = (value ?? {}) as Record<string, unknown>;
  if ('Ref' in object) return `<${object.Ref}>`;
  if ('Fn::GetAtt' in object) {
    return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];

    return parts.map(renderValue).join(separator);
  }

  return JSON.stringify(value);
}

/** One statement of an identity policy, with its resources as text. */
export interface RenderedStatement {
  readonly policyId: string;
  readonly roleIds: readonly string[];
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/**
 * Every statement of every `AWS::IAM::Policy`, with the roles it is
 * attached to and its resources rendered by {@link renderValue}.
 *
 * @param template the synthesized template
 * @returns the statements
 */
export function identityStatements(template: Template): RenderedStatement[] {
  return resourcesOfType(template, 'AWS::IAM::Policy').flatMap(
    ([policyId, policy]) => {
      const properties = policy.Properties as {
        Roles: unknown[];
        PolicyDocument: { Statement: Record<string, unknown>[] };
      };

      return properties.PolicyDocument.Statement.map((statement) => ({
        policyId,
        roleIds: properties.Roles.map(renderValue),
        actions: [statement.Action].flat() as string[],
        resources: [statement.Resource].flat().map(renderValue),
      }));
    },
  );
}

/**
 * The logical id of a construct's CloudFormation resource.
 *
 * @param stack the stack that holds it
 * @param construct an L2 construct (its default child is used)
 * @returns the logical id, as in `Ref` and `Fn::GetAtt`
 */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}
