/**
 * The tracking service's stack as a non-production stage (`test`) synthesizes it: the driver-positions
 * stream, the Firehose delivery stream from it into the OpenSearch domain with its backup bucket,
 * logs, network and alarm, the one-minute push, the TrackingApi, and who may do what: PutRecords for
 * POST /positions alone, Firehose's role reading the stream and writing the bucket and mapped in
 * OpenSearch to write the positions family, the push allowed to post to the LiveApi's connections.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { describe, expect, test } from "vitest";
import {
  declaredFunctionName,
  driverPositions,
  latestPositionsPush,
  liveApi,
  scheduledFunctions,
  tableNameVariable,
  tables,
  trackingApi,
  type RouteDeclaration,
} from "../../packages/functions/src/declarations.js";
import { LiveApi } from "../LiveApi.js";
import { Network } from "../Network.js";
import { Search } from "../Search.js";
import { positionsDeliverySearchUser, searchRoleName, searchUserRoleName } from "../search-access.js";
import { Tracking } from "../Tracking.js";
import { listHttpApiRouteKeys, synthesizeBeforeAll, testAccount, testRegion } from "./support/synth-app.js";
import {
  functionByHandler,
  importOf,
  mentions,
  onlyResourceOfType,
  referencedLogicalId,
  resourcesOfType,
  rolePolicyStatements,
  type PolicyStatement,
} from "./support/template-queries.js";

const synthesized = synthesizeBeforeAll({ tracking: Tracking, search: Search, network: Network, live: LiveApi });

const stream = () => onlyResourceOfType(synthesized.tracking, "AWS::Kinesis::Stream");
const deliveryStream = () => onlyResourceOfType(synthesized.tracking, "AWS::KinesisFirehose::DeliveryStream");
const destination = () => deliveryStream()[1].Properties?.AmazonopensearchserviceDestinationConfiguration;
const bucket = () => onlyResourceOfType(synthesized.tracking, "AWS::S3::Bucket");
const firehoseRoleId = () => referencedLogicalId(deliveryStream()[1].Properties?.KinesisStreamSourceConfiguration.RoleARN)!;
const domainArn = () => importOf(synthesized.search, { "Fn::GetAtt": [onlyResourceOfType(synthesized.search, "AWS::OpenSearchService::Domain")[0], "Arn"] });
const deliveryLogGroupId = () => referencedLogicalId(destination().CloudWatchLoggingOptions.LogGroupName)!;
const actionsOf = (statement: PolicyStatement) => [statement.Action].flat();
const statementsOfFunction = (template: Template, handler: string) =>
  rolePolicyStatements(template, referencedLogicalId(functionByHandler(template, handler)[1].Properties?.Role)!);
const pushFunction = () => functionByHandler(synthesized.tracking, latestPositionsPush.handler);

describe("Tracking: the driver-positions stream", () => {
  test("has the declared name, shards and retention, encrypted at rest with Kinesis's key", () => {
    expect(stream()[1].Properties).toMatchObject({
      Name: `test-haul-${driverPositions.streamName}`,
      ShardCount: driverPositions.shardCount,
      RetentionPeriodHours: driverPositions.retentionHours,
      StreamModeDetails: { StreamMode: "PROVISIONED" },
      StreamEncryption: { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" },
    });
  });

  test("lets POST /positions, and no other function of the app, put records: PutRecords on the stream only", () => {
    const [streamId] = stream();
    const postPositions = trackingApi.routes["POST /positions"];
    expect(statementsOfFunction(synthesized.tracking, postPositions.handler).filter((statement) => !actionsOf(statement).every((action) => action.startsWith("xray:")))).toEqual([
      { Effect: "Allow", Action: "kinesis:PutRecords", Resource: { "Fn::GetAtt": [streamId, "Arn"] } },
    ]);
    const putters = [...synthesized.templates().values()].flatMap((template) =>
      resourcesOfType(template, "AWS::IAM::Policy").filter(([, policy]) =>
        (policy.Properties?.PolicyDocument.Statement as PolicyStatement[]).some((statement) => actionsOf(statement).some((action) => /^kinesis:(PutRecords?|\*)$/.test(action))),
      ),
    );
    expect(putters).toHaveLength(1);
    const [, fn] = functionByHandler(synthesized.tracking, postPositions.handler);
    expect(mentions(putters[0]![1].Properties?.Roles, referencedLogicalId(fn.Properties?.Role)!)).toBe(true);
    expect(fn.Properties?.Environment.Variables.HAUL_POSITIONS_STREAM_NAME).toEqual({ Ref: streamId });
    // Kinesis is a public endpoint: no VPC for the ingest.
    expect(fn.Properties?.VpcConfig).toBeUndefined();
  });
});

describe("Tracking: the Firehose delivery stream", () => {
  test("reads the stream with its role and delivers into the domain's positions family as declared", () => {
    const [streamId] = stream();
    const [, delivery] = deliveryStream();
    expect(delivery.Properties).toMatchObject({
      DeliveryStreamName: `test-haul-${driverPositions.deliveryStreamName}`,
      DeliveryStreamType: "KinesisStreamAsSource",
      KinesisStreamSourceConfiguration: { KinesisStreamARN: { "Fn::GetAtt": [streamId, "Arn"] }, RoleARN: { "Fn::GetAtt": [firehoseRoleId(), "Arn"] } },
    });
    expect(destination()).toMatchObject({
      DomainARN: domainArn(),
      RoleARN: { "Fn::GetAtt": [firehoseRoleId(), "Arn"] },
      // No prefix in AWS (a domain per stage); the rotation appends -YYYY-MM-DD.
      IndexName: driverPositions.indexFamily,
      IndexRotationPeriod: driverPositions.indexRotation,
      BufferingHints: { SizeInMBs: driverPositions.bufferingSizeMb, IntervalInSeconds: driverPositions.bufferingIntervalSeconds },
      RetryOptions: { DurationInSeconds: driverPositions.retryDurationSeconds },
      S3BackupMode: driverPositions.backupMode,
    });
    expect(destination().S3Configuration).toMatchObject({ BucketARN: { "Fn::GetAtt": [bucket()[0], "Arn"] }, RoleARN: { "Fn::GetAtt": [firehoseRoleId(), "Arn"] } });
  });

  test("logs its delivery and backup errors to a log group that expires", () => {
    const groupId = deliveryLogGroupId();
    expect(synthesized.tracking.toJSON().Resources[groupId].Properties.RetentionInDays).toBeGreaterThan(0);
    for (const options of [destination().CloudWatchLoggingOptions, destination().S3Configuration.CloudWatchLoggingOptions]) {
      expect(options).toMatchObject({ Enabled: true, LogGroupName: { Ref: groupId } });
      const streamId = referencedLogicalId(options.LogStreamName)!;
      expect(synthesized.tracking.toJSON().Resources[streamId]).toMatchObject({ Type: "AWS::Logs::LogStream", Properties: { LogGroupName: { Ref: groupId } } });
    }
  });

  test("runs in the application subnets behind a group of its own that the domain's group admits on 443", () => {
    const vpc = destination().VpcConfiguration;
    expect(vpc.RoleARN).toEqual({ "Fn::GetAtt": [firehoseRoleId(), "Arn"] });
    expect(vpc.SubnetIds).toHaveLength(2);
    for (const subnetId of vpc.SubnetIds) expect(mentions(subnetId, "applicationSubnet")).toBe(true);
    const [groupId, group] = onlyResourceOfType(synthesized.tracking, "AWS::EC2::SecurityGroup");
    expect(vpc.SecurityGroupIds).toEqual([{ "Fn::GetAtt": [groupId, "GroupId"] }]);
    const searchGroup = importOf(synthesized.search, { "Fn::GetAtt": [onlyResourceOfType(synthesized.search, "AWS::EC2::SecurityGroup")[0], "GroupId"] });
    // Out to the domain only, and the domain's group lets it in.
    expect(group.Properties?.SecurityGroupEgress ?? []).toEqual([]);
    expect(resourcesOfType(synthesized.tracking, "AWS::EC2::SecurityGroupEgress").map(([, rule]) => rule.Properties)).toEqual([
      expect.objectContaining({ GroupId: { "Fn::GetAtt": [groupId, "GroupId"] }, DestinationSecurityGroupId: searchGroup, IpProtocol: "tcp", FromPort: 443, ToPort: 443 }),
    ]);
    expect(resourcesOfType(synthesized.tracking, "AWS::EC2::SecurityGroupIngress").map(([, rule]) => rule.Properties)).toEqual([
      expect.objectContaining({ GroupId: searchGroup, SourceSecurityGroupId: { "Fn::GetAtt": [groupId, "GroupId"] }, IpProtocol: "tcp", FromPort: 443, ToPort: 443 }),
    ]);
  });

  test("backs failed documents up to a bucket that is encrypted, private and SSL-only", () => {
    const [bucketId, resource] = bucket();
    expect(resource.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const [, policy] = resourcesOfType(synthesized.tracking, "AWS::S3::BucketPolicy").find(([, candidate]) => referencedLogicalId(candidate.Properties?.Bucket) === bucketId)!;
    expect(policy.Properties?.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } }, Principal: { AWS: "*" } }),
    );
  });

  test("has a role only Firehose of this account takes: reads the stream, writes the bucket and its logs, reaches the domain, manages its network interfaces", () => {
    const role = synthesized.tracking.toJSON().Resources[firehoseRoleId()];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "firehose.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": testAccount } } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const [streamId] = stream();
    const [bucketId] = bucket();
    const statements = rolePolicyStatements(synthesized.tracking, firehoseRoleId());
    const byService = Object.fromEntries(statements.map((statement) => [`${actionsOf(statement)[0]!.split(":")[0]}:${actionsOf(statement).join(",")}`, statement.Resource]));
    expect(byService).toEqual({
      "kinesis:kinesis:DescribeStream,kinesis:DescribeStreamSummary,kinesis:GetShardIterator,kinesis:GetRecords,kinesis:ListShards": { "Fn::GetAtt": [streamId, "Arn"] },
      "s3:s3:AbortMultipartUpload,s3:GetBucketLocation,s3:GetObject,s3:ListBucket,s3:ListBucketMultipartUploads,s3:PutObject": [
        { "Fn::GetAtt": [bucketId, "Arn"] },
        { "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/*"]] },
      ],
      "es:es:DescribeDomain,es:DescribeDomains,es:DescribeDomainConfig": domainArn(),
      "es:es:ESHttpGet,es:ESHttpHead,es:ESHttpPost,es:ESHttpPut": [domainArn(), { "Fn::Join": ["", [domainArn(), "/*"]] }],
      "ec2:ec2:DescribeVpcs,ec2:DescribeVpcAttribute,ec2:DescribeSubnets,ec2:DescribeSecurityGroups,ec2:DescribeNetworkInterfaces,ec2:CreateNetworkInterface,ec2:CreateNetworkInterfacePermission,ec2:DeleteNetworkInterface":
        "*",
      "logs:logs:PutLogEvents": { "Fn::GetAtt": [deliveryLogGroupId(), "Arn"] },
    });
    // Created after its policy: Firehose checks what its role may do when the stream is created.
    const policyId = resourcesOfType(synthesized.tracking, "AWS::IAM::Policy").find(([, policy]) => mentions(policy.Properties?.Roles, firehoseRoleId()))![0];
    expect(deliveryStream()[1].DependsOn).toEqual(expect.arrayContaining([firehoseRoleId(), policyId]));
  });

  test("has its role mapped in OpenSearch to write and create the positions family's indices, and the domain admits it", () => {
    const roleName = searchUserRoleName(synthesized.app, positionsDeliverySearchUser.name);
    expect(synthesized.tracking.toJSON().Resources[firehoseRoleId()].Properties.RoleName).toBe(roleName);
    const grant = setUpGrants().find((candidate) => candidate.roleName === searchRoleName(positionsDeliverySearchUser.name));
    expect(grant).toMatchObject({
      clusterPermissions: expect.arrayContaining(["indices:data/write/bulk"]),
      indexPermissions: [{ indexPatterns: ["driver-positions", "driver-positions-*"], allowedActions: ["index", "create_index"] }],
    });
    expect(grant?.backendRoles).toEqual([expect.stringMatching(new RegExp(`^arn:<.*Partition.*>:iam::${testAccount}:role/${roleName}$`))]);
    // The domain's policy lets in this account's signed principals; the role's own policy and FGAC decide.
    const [, domain] = onlyResourceOfType(synthesized.search, "AWS::OpenSearchService::Domain");
    expect(mentions(domain.Properties?.AccessPolicies.Statement[0].Principal, `:iam::${testAccount}:root`)).toBe(true);
  });

  test("raises an alarm when documents fail to be indexed", () => {
    const [, alarm] = onlyResourceOfType(synthesized.tracking, "AWS::CloudWatch::Alarm");
    expect(alarm.Properties).toMatchObject({
      Namespace: "AWS/Firehose",
      MetricName: "DeliveryToAmazonOpenSearchService.Success",
      Dimensions: [{ Name: "DeliveryStreamName", Value: `test-haul-${driverPositions.deliveryStreamName}` }],
      Statistic: "Minimum",
      ComparisonOperator: "LessThanThreshold",
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
    });
  });
});

describe("Tracking: the one-minute push", () => {
  test.each(scheduledFunctions.filter((scheduled) => scheduled.service === "tracking").map((scheduled) => [scheduled.name, scheduled] as const))("runs %s on its schedule", (_name, scheduled) => {
    const [fnId, fn] = functionByHandler(synthesized.tracking, scheduled.handler);
    expect(fn.Properties?.Timeout).toBe(scheduled.timeoutSeconds);
    const rules = resourcesOfType(synthesized.tracking, "AWS::Events::Rule").filter(([, rule]) =>
      (rule.Properties?.Targets as Array<{ Arn: unknown }>).some((target) => referencedLogicalId(target.Arn) === fnId),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties).toMatchObject({ ScheduleExpression: scheduled.schedule, State: "ENABLED" });
    // EventBridge may invoke it.
    synthesized.tracking.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [fnId, "Arn"] },
      SourceArn: { "Fn::GetAtt": [rules[0]![0], "Arn"] },
    });
  });

  test("pushes once a minute", () => {
    expect(latestPositionsPush.schedule).toBe("rate(1 minute)");
  });

  test("gets its tables, OpenSearch from the VPC under its mapped role, and push on the LiveApi's @connections, and nothing else", () => {
    const [, fn] = pushFunction();
    const variables = Object.keys(fn.Properties?.Environment.Variables).filter((name) => name.startsWith("HAUL_"));
    expect(variables.sort()).toEqual(
      [
        tableNameVariable(tables.liveSubscriptions),
        tableNameVariable(tables.trackingSessions),
        tableNameVariable(tables.liveConnections),
        "HAUL_OPENSEARCH_URL",
        "HAUL_OPENSEARCH_AUTH",
        "HAUL_LIVE_API_CALLBACK_URL",
      ].sort(),
    );
    expect(fn.Properties?.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe("tracking");
    expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
    const role = synthesized.tracking.toJSON().Resources[referencedLogicalId(fn.Properties?.Role)!];
    expect(role.Properties.RoleName).toBe(searchUserRoleName(synthesized.app, declaredFunctionName(latestPositionsPush.name, "schedule")));

    const granted = statementsOfFunction(synthesized.tracking, latestPositionsPush.handler).map((statement) => {
      const actions = actionsOf(statement);
      if (statement.Resource === "*") return `any: ${[...actions].sort().join(",")}`;
      if (actions.every((action) => action.startsWith("dynamodb:"))) {
        const table = Object.values(tables).filter((declared) => mentions(statement.Resource, `${declared.name}Table`));
        expect(table).toHaveLength(1);
        return `dynamodb ${table[0]!.name}`;
      }
      if (actions.every((action) => action.startsWith("es:ESHttp"))) return "es";
      if (actions.join() === "execute-api:ManageConnections") {
        expect([statement.Resource].flat()).toHaveLength(1);
        expect(mentions(statement.Resource, liveApi.name)).toBe(true);
        expect(JSON.stringify(statement.Resource)).toMatch(/\/test\/POST\/@connections\/\*"/);
        return "execute-api: POST @connections";
      }
      return `unexpected: ${JSON.stringify(statement)}`;
    });
    expect(granted.sort()).toEqual(
      [
        "any: xray:PutTelemetryRecords,xray:PutTraceSegments",
        "dynamodb LiveConnections",
        "dynamodb LiveSubscriptions",
        "dynamodb TrackingSessions",
        "es",
        "execute-api: POST @connections",
      ].sort(),
    );
  });

  test("has the Search set-up map it to reading the positions family", () => {
    const grant = setUpGrants().find((candidate) => candidate.roleName === searchRoleName(declaredFunctionName(latestPositionsPush.name, "schedule")));
    expect(grant).toMatchObject({ clusterPermissions: [], indexPermissions: [{ indexPatterns: ["driver-positions", "driver-positions-*"], allowedActions: ["read"] }] });
  });
});

describe("Tracking: the TrackingApi", () => {
  test("serves exactly the declared routes, each behind the JWT authorizer on its declared handler", () => {
    expect(listHttpApiRouteKeys(synthesized.tracking)).toEqual(Object.keys(trackingApi.routes).sort());
    for (const [routeKey, route] of Object.entries<RouteDeclaration>(trackingApi.routes)) {
      synthesized.tracking.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: routeKey, AuthorizationType: "JWT" });
      const [, fn] = functionByHandler(synthesized.tracking, route.handler);
      expect(fn.Properties?.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe("tracking");
    }
  });

  test("reads trails and the fleet from OpenSearch, from inside the VPC", () => {
    for (const routeKey of ["GET /reservations/{id}/positions", "GET /ops/fleet"] as const) {
      const [, fn] = functionByHandler(synthesized.tracking, trackingApi.routes[routeKey].handler);
      expect(fn.Properties?.Environment.Variables.HAUL_OPENSEARCH_AUTH).toBe("aws-sigv4");
      expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
      expect(statementsOfFunction(synthesized.tracking, trackingApi.routes[routeKey].handler).some((statement) => actionsOf(statement).includes("es:ESHttpGet"))).toBe(true);
    }
  });

  test("outputs its URL and the pipeline's names", () => {
    const outputs = synthesized.tracking.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(["TrackingApiUrl", "DriverPositionsStreamName", "DriverPositionsDeliveryStreamName", "DriverPositionsBackupBucketName"]),
    );
    expect(outputs.DriverPositionsStreamName.Value).toEqual({ Ref: stream()[0] });
    expect(outputs.DriverPositionsBackupBucketName.Value).toEqual({ Ref: bucket()[0] });
  });
});

describe("LiveApi: the tracking routes", () => {
  test("subscribe and unsubscribe get the subscriptions table; subscribe also the sessions and OpenSearch", () => {
    const variablesOf = (routeKey: "subscribe" | "unsubscribe") =>
      Object.keys(functionByHandler(synthesized.live, liveApi.routes[routeKey].handler)[1].Properties?.Environment.Variables).filter((name) => name.startsWith("HAUL_"));
    expect(variablesOf("subscribe").sort()).toEqual(
      [tableNameVariable(tables.trackingSessions), tableNameVariable(tables.liveSubscriptions), "HAUL_OPENSEARCH_URL", "HAUL_OPENSEARCH_AUTH"].sort(),
    );
    expect(variablesOf("unsubscribe")).toEqual([tableNameVariable(tables.liveSubscriptions)]);
    const subscribe = statementsOfFunction(synthesized.live, liveApi.routes.subscribe.handler);
    expect(subscribe.some((statement) => actionsOf(statement).includes("es:ESHttpGet"))).toBe(true);
    expect(subscribe.some((statement) => actionsOf(statement).includes("dynamodb:PutItem") && mentions(statement.Resource, "LiveSubscriptionsTable"))).toBe(true);
    expect(subscribe.some((statement) => actionsOf(statement).includes("execute-api:ManageConnections"))).toBe(false);
  });
});

interface SetUpGrant {
  readonly roleName: string;
  readonly backendRoles: string[];
  readonly clusterPermissions: string[];
  readonly indexPermissions: unknown[];
}

/** The grants the Search stack's set-up applies, from its Script's params. */
function setUpGrants(): SetUpGrant[] {
  return (JSON.parse(joined(onlyResourceOfType(synthesized.search, "Custom::SSTScript")[1].Properties?.UserParams)) as { grants: SetUpGrant[] }).grants;
}

/** A `Fn::Join` read back as one string (references as `<...>`), as the Script's params are synthesized. */
function joined(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) throw new Error(`Not a string or Fn::Join: ${JSON.stringify(value)}`);
  return join[1].map((part) => (typeof part === "string" ? part : `<${JSON.stringify(part).replaceAll('"', "'")}>`)).join(join[0]);
}
