import type { Template } from "aws-cdk-lib/assertions";

/** A CloudFormation resource as synthesized: loosely typed, as templates are. */
export interface SynthesizedResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
}

/** The resources of one type in a template, with their logical ids. */
export function resourcesOfType(template: Template, type: string): Array<[logicalId: string, resource: SynthesizedResource]> {
  return Object.entries(template.findResources(type)) as Array<[string, SynthesizedResource]>;
}

/** The single resource of a type, failing loudly when there is none or more than one. */
export function onlyResourceOfType(template: Template, type: string): [logicalId: string, resource: SynthesizedResource] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`Expected one ${type}, found ${found.length}`);
  return found[0] as [string, SynthesizedResource];
}

/** Every resource of a template, whatever its type. */
export function allResources(template: Template): Array<[logicalId: string, resource: SynthesizedResource]> {
  return Object.entries(template.toJSON().Resources ?? {}) as Array<[string, SynthesizedResource]>;
}

/**
 * Whether a property value mentions `text` anywhere, e.g. a logical id inside a Ref, a GetAtt or a
 * cross-stack import name. Good enough to tell which resource a reference points at.
 */
export function mentions(value: unknown, text: string): boolean {
  return JSON.stringify(value ?? null).includes(text);
}

/** The logical id of the resource a `{ Ref }` or `{ Fn::GetAtt }` points at. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if ("Ref" in value && typeof value.Ref === "string") return value.Ref;
  const getAtt = (value as { "Fn::GetAtt"?: unknown })["Fn::GetAtt"];
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  return undefined;
}

/**
 * SST's binding parameters (`/sst/<app>/<stage>/...` in SSM) hold only derived names and URLs; SST
 * adds them after it applies the app's removal policy, so they keep CloudFormation's default (delete).
 */
export function isSstBindingParameter(resource: SynthesizedResource): boolean {
  return resource.Type === "AWS::SSM::Parameter" && String(resource.Properties?.Name).startsWith("/sst/");
}

/** The function of a template that runs `handler` (SST's `<path>.<export>` form), failing loudly when none or several do. */
export function functionByHandler(template: Template, handler: string): [logicalId: string, resource: SynthesizedResource] {
  const found = resourcesOfType(template, "AWS::Lambda::Function").filter(([, fn]) => fn.Properties?.Handler === handler);
  if (found.length !== 1) throw new Error(`Expected one function running ${handler}, found ${found.length}`);
  return found[0] as [string, SynthesizedResource];
}

/** An IAM policy statement as synthesized. */
export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of the policies a template attaches to a role (its default policy, mostly). */
export function rolePolicyStatements(template: Template, roleLogicalId: string): PolicyStatement[] {
  return resourcesOfType(template, "AWS::IAM::Policy")
    .filter(([, policy]) => mentions(policy.Properties?.Roles, roleLogicalId))
    .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as PolicyStatement[]);
}

/** The `Fn::ImportValue` by which another stack reads `value`, an export of `template`'s stack. */
export function importOf(template: Template, value: unknown): { "Fn::ImportValue": string } {
  const outputs: Record<string, { Value: unknown; Export?: { Name: string } }> = template.toJSON().Outputs ?? {};
  const exported = Object.values(outputs).find((output) => output.Export && JSON.stringify(output.Value) === JSON.stringify(value));
  if (!exported?.Export) throw new Error(`The stack exports no ${JSON.stringify(value)}`);
  return { "Fn::ImportValue": exported.Export.Name };
}
