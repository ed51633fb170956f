/**
 * Log refinement in the cloud (issue 11): every Haul function's log group and every HTTP API's
 * access log group is created by its stack with the declared retention and subscribed, with the
 * declared patterns, to the Observability stack's refiner; the refiner's own group is not; CloudWatch
 * Logs may invoke the refiner; a batch it fails on goes to an encrypted queue, watched by an alarm;
 * and OpenSearch maps the refiner's role to writing `api-logs`.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { describe, expect, test } from "vitest";
import { searchGrant } from "../../packages/core/src/search/access-control.js";
import { declaredFunctionName, declaredFunctions, httpApis, logRefinement, observabilityApi } from "../../packages/functions/src/declarations.js";
import { metricsNamespace } from "../../packages/functions/src/shared/metrics-namespace.js";
import { Observability } from "../Observability.js";
import { Search } from "../Search.js";
import { domainIndexPrefix, searchRoleName } from "../search-access.js";
import { synthesizeBeforeAll, testAccount } from "./support/synth-app.js";
import { functionByHandler, onlyResourceOfType, referencedLogicalId, resourcesOfType, rolePolicyStatements, type SynthesizedResource } from "./support/template-queries.js";

const synthesized = synthesizeBeforeAll({ observability: Observability, search: Search });

const refinerHandler = logRefinement.refiner.handler;
const refinerId = () => functionByHandler(synthesized.observability, refinerHandler)[0];
const observabilityStackName = () => synthesized.app.logicalPrefixedName("Observability");
const refinerArn = () => ({ "Fn::GetAtt": [refinerId(), "Arn"] });

/** The export names (in the Observability stack) whose value is the refiner's ARN. */
function refinerArnExports(): string[] {
  const outputs: Record<string, { Value: unknown; Export?: { Name: string } }> = synthesized.observability.toJSON().Outputs ?? {};
  return Object.values(outputs)
    .filter((output) => output.Export && JSON.stringify(output.Value) === JSON.stringify(refinerArn()))
    .map((output) => output.Export!.Name);
}

/** Whether a DestinationArn names the refiner: directly in its own stack, through its export elsewhere. */
function isRefiner(stackName: string, destination: unknown): boolean {
  if (stackName === observabilityStackName()) return JSON.stringify(destination) === JSON.stringify(refinerArn());
  const imported = (destination as { "Fn::ImportValue"?: string })["Fn::ImportValue"];
  return imported !== undefined && refinerArnExports().includes(imported);
}

/** A `Fn::Join` read back as one string, references spelled `<AWS::Partition>` or `<LogicalId.Attribute>` (as stacks/test/search.test.ts reads the set-up's params). */
function joined(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
  return join[1]
    .map((part) => {
      if (typeof part === "string") return part;
      const { Ref: ref, "Fn::GetAtt": getAtt } = part as { Ref?: string; "Fn::GetAtt"?: [string, string] };
      if (ref) return `<${ref}>`;
      if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
      throw new Error(`Unexpected part ${JSON.stringify(part)}`);
    })
    .join(join[0]);
}

interface TemplateFunction {
  readonly template: Template;
  readonly stackName: string;
  readonly logicalId: string;
  readonly handler: string;
}

/**
 * Every Haul function of every stack: those running a declared handler. (The deploy-time set-up
 * functions of the Data and Search stacks run during deploys only and are not declared.)
 */
function haulFunctions(): TemplateFunction[] {
  const declaredHandlers = new Set<string>(declaredFunctions().map(({ declaration }) => declaration.handler));
  return [...synthesized.templates()].flatMap(([stackName, template]) =>
    resourcesOfType(template, "AWS::Lambda::Function")
      .filter(([, fn]) => declaredHandlers.has(String(fn.Properties?.Handler)))
      .map(([logicalId, fn]) => ({ template, stackName, logicalId, handler: String(fn.Properties?.Handler) })),
  );
}

/** The log group Lambda writes the function's logs to (`/aws/lambda/<function name>`), if the stack creates it. */
function logGroupOf({ template, logicalId }: TemplateFunction): [string, SynthesizedResource] | undefined {
  const expectedName = JSON.stringify({ "Fn::Join": ["", ["/aws/lambda/", { Ref: logicalId }]] });
  return resourcesOfType(template, "AWS::Logs::LogGroup").find(([, group]) => JSON.stringify(group.Properties?.LogGroupName) === expectedName);
}

function filtersOf(template: Template, logGroupId: string): SynthesizedResource[] {
  return resourcesOfType(template, "AWS::Logs::SubscriptionFilter")
    .filter(([, filter]) => referencedLogicalId(filter.Properties?.LogGroupName) === logGroupId)
    .map(([, filter]) => filter);
}

describe("function log groups", () => {
  test("every declared function is built", () => {
    const built = new Set(haulFunctions().map((fn) => fn.handler));
    for (const { name, declaration } of declaredFunctions()) expect({ name, built: built.has(declaration.handler) }).toEqual({ name, built: true });
  });

  test("every Haul function but the refiner has its log group, with the declared retention and one filter per declared pattern to the refiner", () => {
    const subscribed = haulFunctions().filter((fn) => fn.handler !== refinerHandler);
    expect(subscribed.length).toBe(declaredFunctions().length - 1);
    for (const fn of subscribed) {
      const found = logGroupOf(fn);
      expect({ fn: `${fn.stackName} ${fn.handler}`, logGroup: found !== undefined }).toEqual({ fn: `${fn.stackName} ${fn.handler}`, logGroup: true });
      const [logGroupId, logGroup] = found!;
      expect(logGroup.Properties?.RetentionInDays).toBe(logRefinement.retentionDays);
      const filters = filtersOf(fn.template, logGroupId);
      expect(filters.map((filter) => filter.Properties?.FilterPattern).sort()).toEqual([...logRefinement.functionLogPatterns].sort());
      for (const filter of filters) expect(isRefiner(fn.stackName, filter.Properties?.DestinationArn)).toBe(true);
    }
  });

  test("the refiner's own log group has the retention and no subscription filter: it does not feed itself", () => {
    const refiner = haulFunctions().find((fn) => fn.handler === refinerHandler)!;
    const [logGroupId, logGroup] = logGroupOf(refiner)!;
    expect(logGroup.Properties?.RetentionInDays).toBe(logRefinement.retentionDays);
    expect(filtersOf(refiner.template, logGroupId)).toEqual([]);
  });

  test("no subscription filter anywhere points at anything but the refiner", () => {
    const filters = [...synthesized.templates()].flatMap(([stackName, template]) =>
      resourcesOfType(template, "AWS::Logs::SubscriptionFilter").map(([, filter]) => ({ stackName, filter })),
    );
    // Two per subscribed function, one per HTTP API.
    expect(filters).toHaveLength((declaredFunctions().length - 1) * logRefinement.functionLogPatterns.length + httpApis.length);
    for (const { stackName, filter } of filters) expect(isRefiner(stackName, filter.Properties?.DestinationArn)).toBe(true);
  });
});

describe("Powertools on every function", () => {
  test("each Haul function names its declaration's service and Haul's metrics namespace, and traces actively", () => {
    // By handler: the services of the declarations that run it (one, unless a handler is shared).
    const servicesOf = new Map<string, Set<string>>();
    for (const { service, declaration } of declaredFunctions()) servicesOf.set(declaration.handler, (servicesOf.get(declaration.handler) ?? new Set()).add(service));
    const functions = haulFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(declaredFunctions().length);
    for (const fn of functions) {
      const properties = fn.template.toJSON().Resources[fn.logicalId].Properties;
      const variables = properties.Environment?.Variables ?? {};
      const seen = { fn: `${fn.stackName} ${fn.handler}`, service: variables.POWERTOOLS_SERVICE_NAME, namespace: variables.POWERTOOLS_METRICS_NAMESPACE, tracing: properties.TracingConfig?.Mode };
      expect(seen).toEqual({ fn: seen.fn, service: expect.any(String), namespace: metricsNamespace, tracing: "Active" });
      expect([...servicesOf.get(fn.handler)!]).toContain(seen.service);
    }
  });

  test("each function's role may send traces to X-Ray", () => {
    for (const fn of haulFunctions()) {
      const role = referencedLogicalId(fn.template.toJSON().Resources[fn.logicalId].Properties.Role);
      const actions = rolePolicyStatements(fn.template, role!).flatMap((statement) => [statement.Action].flat());
      expect({ fn: `${fn.stackName} ${fn.handler}`, actions }).toEqual({
        fn: `${fn.stackName} ${fn.handler}`,
        actions: expect.arrayContaining(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]),
      });
    }
  });
});

describe("access log groups", () => {
  test("every HTTP API's access log group has the declared retention and the access-log filter to the refiner", () => {
    for (const api of httpApis) {
      const [stackName, template] = [...synthesized.templates()].find(([, candidate]) => Object.keys(candidate.toJSON().Outputs ?? {}).includes(`${api.name}Url`))!;
      const [, stage] = onlyResourceOfType(template, "AWS::ApiGatewayV2::Stage");
      const logGroupId = referencedLogicalId(stage.Properties?.AccessLogSettings?.DestinationArn);
      expect({ api: api.name, logGroupId: logGroupId !== undefined }).toEqual({ api: api.name, logGroupId: true });
      const logGroup = template.toJSON().Resources[logGroupId!] as SynthesizedResource;
      expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
      expect(logGroup.Properties?.RetentionInDays).toBe(logRefinement.retentionDays);
      const filters = filtersOf(template, logGroupId!);
      expect(filters.map((filter) => filter.Properties?.FilterPattern)).toEqual([logRefinement.accessLogPattern]);
      expect(isRefiner(stackName, filters[0]!.Properties?.DestinationArn)).toBe(true);
    }
  });
});

describe("the refiner", () => {
  test("CloudWatch Logs of this account may invoke it, and every filter waits for that permission", () => {
    const permissions = resourcesOfType(synthesized.observability, "AWS::Lambda::Permission").filter(
      ([, permission]) => permission.Properties?.Principal === "logs.amazonaws.com",
    );
    expect(permissions).toHaveLength(1);
    const [permissionId, permission] = permissions[0]!;
    expect(permission.Properties).toMatchObject({ Action: "lambda:InvokeFunction", FunctionName: refinerArn(), SourceAccount: testAccount });
    expect(permission.Properties?.SourceArn).toEqual({
      "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:logs:us-east-1:${testAccount}:log-group:*`]],
    });
    // In its own stack by DependsOn; elsewhere the stacks deploy after the Observability stack.
    for (const [, filter] of resourcesOfType(synthesized.observability, "AWS::Logs::SubscriptionFilter")) expect(filter.DependsOn).toContain(permissionId);
  });

  test("every other stack with a subscription filter deploys after the Observability stack, so after the permission", () => {
    const subscribing = [...synthesized.templates()]
      .filter(([stackName, template]) => stackName !== observabilityStackName() && resourcesOfType(template, "AWS::Logs::SubscriptionFilter").length > 0)
      .map(([stackName]) => stackName);
    expect(subscribing.length).toBeGreaterThan(0);
    for (const stackName of subscribing) {
      const dependencies = synthesized.assembly.getStackByName(stackName).dependencies.map((artifact) => artifact.id);
      expect({ stackName, afterObservability: dependencies.includes(observabilityStackName()) }).toEqual({ stackName, afterObservability: true });
    }
  });

  test("runs the declared handler in the VPC with the declared timeout", () => {
    const [, fn] = functionByHandler(synthesized.observability, refinerHandler);
    expect(fn.Properties?.Timeout).toBe(logRefinement.refiner.timeoutSeconds);
    expect(fn.Properties?.VpcConfig?.SubnetIds).toBeDefined();
  });

  test("sends a batch it fails on, after Lambda's retries, to an encrypted queue it may send to", () => {
    const [, invokeConfig] = onlyResourceOfType(synthesized.observability, "AWS::Lambda::EventInvokeConfig");
    const [queueId, queue] = onlyResourceOfType(synthesized.observability, "AWS::SQS::Queue");
    expect(invokeConfig.Properties).toMatchObject({
      FunctionName: { Ref: refinerId() },
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
    });
    expect(invokeConfig.Properties?.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    const roleId = referencedLogicalId(functionByHandler(synthesized.observability, refinerHandler)[1].Properties?.Role)!;
    const sends = rolePolicyStatements(synthesized.observability, roleId).filter((statement) => [statement.Action].flat().includes("sqs:SendMessage"));
    expect(sends.map((statement) => statement.Resource)).toEqual([{ "Fn::GetAtt": [queueId, "Arn"] }]);
  });

  test("an alarm goes off as soon as the on-failure queue holds a batch", () => {
    const [queueId] = onlyResourceOfType(synthesized.observability, "AWS::SQS::Queue");
    const [, alarm] = onlyResourceOfType(synthesized.observability, "AWS::CloudWatch::Alarm");
    expect(alarm.Properties).toMatchObject({
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queueId, "QueueName"] } }],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  test("OpenSearch maps its fixed role to exactly its declared access: writing api-logs", () => {
    const name = declaredFunctionName(logRefinement.refiner.name, "subscriber");
    const [, fn] = functionByHandler(synthesized.observability, refinerHandler);
    const role = synthesized.observability.toJSON().Resources[referencedLogicalId(fn.Properties?.Role)!] as SynthesizedResource;
    expect(role.Properties?.RoleName).toBe("test-haul-LogRefiner-subscriber");
    const grants: Array<{ roleName: string }> = JSON.parse(joined(onlyResourceOfType(synthesized.search, "Custom::SSTScript")[1].Properties?.UserParams)).grants;
    const backendRole = `arn:<AWS::Partition>:iam::${testAccount}:role/test-haul-LogRefiner-subscriber`;
    expect(grants.find((grant) => grant.roleName === searchRoleName(name))).toEqual(
      searchGrant(searchRoleName(name), [backendRole], logRefinement.refiner.search, domainIndexPrefix),
    );
  });

  test("outputs the ObservabilityApi's URL and the on-failure queue's name", () => {
    const outputs = synthesized.observability.toJSON().Outputs ?? {};
    const [queueId] = onlyResourceOfType(synthesized.observability, "AWS::SQS::Queue");
    expect(outputs[`${observabilityApi.name}Url`]).toBeDefined();
    expect(outputs.LogRefinerFailuresQueueName?.Value).toEqual({ "Fn::GetAtt": [queueId, "QueueName"] });
  });
});
