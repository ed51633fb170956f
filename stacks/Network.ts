import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import type { StackContext } from "sst/constructs";
import { suppressSstInternalFindings } from "./nag-suppressions.js";
import { retentionDays, stageProfile } from "./stage-profile.js";

/** Subnet group names; other stacks select subnets by type, these only name them in the console. */
const subnetNames = { public: "public", application: "application", data: "data" } as const;

export function Network({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);

  const vpc = new ec2.Vpc(stack, "Vpc", {
    // Named zones, not `maxAzs`: offline synthesis has no account to look zones up in.
    availabilityZones: [`${stack.region}a`, `${stack.region}b`],
    natGateways: profile.natGateways,
    subnetConfiguration: [
      { name: subnetNames.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: subnetNames.application, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      { name: subnetNames.data, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    // Free gateway endpoints keep DynamoDB and S3 traffic off the NAT gateways.
    gatewayEndpoints: {
      DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
    },
  });

  vpc.addFlowLog("FlowLog", {
    trafficType: ec2.FlowLogTrafficType.ALL,
    destination: ec2.FlowLogDestination.toCloudWatchLogs(
      new logs.LogGroup(stack, "FlowLogGroup", { retention: retentionDays(profile.logRetention) }),
    ),
  });

  // Functions reach the databases through this group: data stores admit it, and nothing else.
  const functionSecurityGroup = new ec2.SecurityGroup(stack, "FunctionSecurityGroup", {
    vpc,
    description: "Lambda functions of Haul; data stores admit traffic from this group only",
    allowAllOutbound: true,
  });

  suppressSstInternalFindings(stack);

  return {
    vpc,
    functionSecurityGroup,
    /** Where functions run: private, with egress to AWS APIs through NAT. */
    functionSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } satisfies ec2.SubnetSelection,
    /** Where data stores live: no route to or from the internet. */
    dataSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } satisfies ec2.SubnetSelection,
  };
}
