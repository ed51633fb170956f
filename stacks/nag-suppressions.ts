import type { Stack } from "aws-cdk-lib";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";

/** cdk-nag spells AWS managed policies this way in `appliesTo`. */
export function managedPolicy(name: string): string {
  return `Policy::arn:<AWS::Partition>:iam::aws:policy/${name}`;
}

export const lambdaBasicExecutionPolicy = managedPolicy("service-role/AWSLambdaBasicExecutionRole");
export const lambdaVpcAccessPolicy = managedPolicy("service-role/AWSLambdaVPCAccessExecutionRole");

/**
 * Findings every Haul stack has for the same two reasons: SST puts its own custom-resource
 * handler in each stack, and Haul chose one Lambda runtime for the whole app.
 */
export function suppressSstInternalFindings(stack: Stack): void {
  NagSuppressions.addResourceSuppressionsByPath(stack, `/${stack.stackName}/CustomResourceHandler/ServiceRole/Resource`, [
    {
      id: "AwsSolutions-IAM4",
      reason:
        "SST creates this handler in every stack for its own custom resources; it needs only CloudWatch Logs, which the AWS managed basic execution policy grants.",
      appliesTo: [lambdaBasicExecutionPolicy],
    },
  ]);
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: "AwsSolutions-L1",
      reason:
        "Haul runs nodejs22.x on purpose: it is SST 2.49.8's default and the runtime of SST's own handlers, and the line Haul's dependencies are checked against; nodejs24.x is a deliberate upgrade, not a lint fix. stacks/test/app.test.ts asserts that every function runs nodejs22.x, so nothing older hides behind this.",
    },
  ]);
}

/**
 * Suppressions for roles of Lambda functions: the managed policies Lambda needs to log and
 * to join a VPC, and the X-Ray permissions that have no resource-level form.
 */
export function suppressFunctionRoleFindings(functions: readonly IConstruct[]): void {
  for (const fn of functions) {
    NagSuppressions.addResourceSuppressions(
      fn,
      [
        {
          id: "AwsSolutions-IAM4",
          reason:
            "Lambda's AWS managed policies grant exactly what a function needs to write its logs and, in a VPC, to manage its network interfaces; a copy of them would only drift.",
          appliesTo: [lambdaBasicExecutionPolicy, lambdaVpcAccessPolicy],
        },
        {
          id: "AwsSolutions-IAM5",
          reason:
            "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so active tracing needs Resource '*'.",
          appliesTo: ["Resource::*"],
        },
      ],
      true,
    );
  }
}
