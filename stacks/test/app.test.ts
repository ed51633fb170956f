/**
 * The app as a non-production stage (`test`) synthesizes it: what each stack builds from the
 * declaration, and that everything is removable. Production's differences: production.test.ts.
 */
import { roles } from "@haul/core/user";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import {
  cors,
  driverNotifications,
  httpApis,
  queryApi,
  reservationApi,
  reservationWorkflow,
  tableNameVariable,
  tables,
  workflowReconciler,
  type FunctionUse,
  type HttpApiDeclaration,
  type RouteDeclaration,
  type WorkflowTaskDeclaration,
} from "../../packages/functions/src/declarations.js";
import { Auth } from "../Auth.js";
import { Data, mysqlPort, readerUserName, redisPort } from "../Data.js";
import { hashDirectory } from "../hash-directory.js";
import { Messaging } from "../Messaging.js";
import { Network } from "../Network.js";
import { QueryApi } from "../QueryApi.js";
import { ReservationApi } from "../ReservationApi.js";
import { Workflow } from "../Workflow.js";
import { listHttpApiRouteKeys, synthesizeBeforeAll, synthesizedHttpApiRouteKeys, testRegion } from "./support/synth-app.js";
import {
  allResources,
  functionByHandler,
  importOf,
  mentions,
  onlyResourceOfType,
  referencedLogicalId,
  resourcesOfType,
  rolePolicyStatements,
  type PolicyStatement,
} from "./support/template-queries.js";

const synthesized = synthesizeBeforeAll({ network: Network, data: Data, auth: Auth, messaging: Messaging, workflow: Workflow, api: ReservationApi, query: QueryApi });

/**
 * What each declared use must give a function, written out here rather than read from
 * stacks/function-access.ts, so that the test checks the stacks instead of repeating them.
 */
const variablesOfUse: Record<FunctionUse, readonly string[]> = {
  primary: ["HAUL_MYSQL_HOST", "HAUL_MYSQL_PORT", "HAUL_MYSQL_DATABASE", "HAUL_MYSQL_SECRET_ARN"],
  primaryReadOnly: ["HAUL_MYSQL_HOST", "HAUL_MYSQL_PORT", "HAUL_MYSQL_DATABASE", "HAUL_MYSQL_READER_SECRET_ARN"],
  replica: ["HAUL_MYSQL_HOST", "HAUL_MYSQL_REPLICA_HOST", "HAUL_MYSQL_PORT", "HAUL_MYSQL_DATABASE", "HAUL_MYSQL_READER_SECRET_ARN"],
  redis: ["HAUL_REDIS_URL", "HAUL_REDIS_AUTH_SECRET_ARN"],
  search: ["HAUL_OPENSEARCH_URL", "HAUL_OPENSEARCH_AUTH"],
  trackingSessionsTable: [tableNameVariable(tables.trackingSessions)],
  liveConnectionsTable: [tableNameVariable(tables.liveConnections)],
  liveSubscriptionsTable: [tableNameVariable(tables.liveSubscriptions)],
  notificationIdempotencyTable: [tableNameVariable(tables.notificationIdempotency)],
  reservationWorkflow: ["HAUL_RESERVATION_STATE_MACHINE_ARN"],
  workflowHistory: ["HAUL_RESERVATION_STATE_MACHINE_ARN"],
  workflowStatus: ["HAUL_RESERVATION_STATE_MACHINE_ARN"],
  liveApiConnections: ["HAUL_LIVE_API_CALLBACK_URL"],
  positionsStream: ["HAUL_POSITIONS_STREAM_NAME"],
};
/** Uses that live in the VPC: a function with one of them must run there. */
const vpcUses: ReadonlySet<FunctionUse> = new Set(["primary", "primaryReadOnly", "replica", "redis", "search"]);
/** What every Haul function has, whatever it uses: SST's variables and the Powertools service name. */
const baseVariables = ["AWS_NODEJS_CONNECTION_REUSE_ENABLED", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME", "SST_APP", "SST_SSM_PREFIX", "SST_STAGE"];
/** The logical id prefix of the secret each use reads: the replica and the primary read-only share the reader's login. */
const secretOfUse = {
  primary: "MysqlPrimarySecret",
  primaryReadOnly: "MysqlReaderSecret",
  replica: "MysqlReaderSecret",
  redis: "RedisAuthToken",
} as const satisfies Partial<Record<FunctionUse, string>>;
const secrets = [...new Set(Object.values(secretOfUse))];
/** How grantedAccess names what a use is granted: a secret by its logical id prefix, anything else by the use. */
const grantOfUse = (use: FunctionUse): string => (use in secretOfUse ? `secret ${secretOfUse[use as keyof typeof secretOfUse]}` : use);
/** The statements a use is granted by, as grantedAccess names them: one each, but two for workflowHistory. */
const grantsOfUse = (use: FunctionUse): string[] => (use === "workflowHistory" ? ["workflowHistory: list", "workflowHistory: executions"] : [grantOfUse(use)]);

const sameActions = (statement: PolicyStatement, actions: readonly string[]) =>
  JSON.stringify([statement.Action].flat().sort()) === JSON.stringify([...actions].sort());

/** What each statement of a function's policy grants, named as grantOfUse names it; X-Ray's are left out, anything else is named as unexpected. */
function grantedAccess(statements: readonly PolicyStatement[]): string[] {
  const [stateMachineId] = onlyResourceOfType(synthesized.workflow, "AWS::StepFunctions::StateMachine");
  const startExecutionResource = importOf(synthesized.workflow, { Ref: stateMachineId });
  return statements.flatMap((statement) => {
    if (statement.Resource === "*" && sameActions(statement, ["xray:PutTraceSegments", "xray:PutTelemetryRecords"])) return [];
    if (sameActions(statement, ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])) {
      const secret = secrets.filter((name) => mentions(statement.Resource, name));
      if (secret.length === 1) return [`secret ${secret[0]}`];
    }
    if ([statement.Action].flat().includes("dynamodb:PutItem")) {
      const use = Object.entries(tables).filter(([, table]) => mentions(statement.Resource, `${table.name}Table`));
      if (use.length === 1) return [`${use[0]![0]}Table`];
    }
    if (sameActions(statement, ["states:StartExecution"]) && JSON.stringify(statement.Resource) === JSON.stringify(startExecutionResource)) {
      return ["reservationWorkflow"];
    }
    // Listing on the state machine; describing and reading histories on its executions only (checked in full in the ReservationApi's tests).
    if (sameActions(statement, ["states:ListExecutions"]) && JSON.stringify(statement.Resource) === JSON.stringify(startExecutionResource)) {
      return ["workflowHistory: list"];
    }
    if (sameActions(statement, ["states:DescribeExecution", "states:GetExecutionHistory"]) && mentions(statement.Resource, ":execution:")) {
      return ["workflowHistory: executions"];
    }
    if (sameActions(statement, ["states:DescribeExecution"]) && mentions(statement.Resource, ":execution:")) return ["workflowStatus"];
    // Every ESHttp action, on the domain and its paths only (stacks/test/search.test.ts checks it in full).
    if ([statement.Action].flat().every((action) => action.startsWith("es:ESHttp")) && mentions(statement.Resource, "SearchDomain")) {
      return ["search"];
    }
    // Push only, on the LiveApi's stage's @connections (stacks/test/live-api.test.ts checks the ARN in full).
    if (sameActions(statement, ["execute-api:ManageConnections"]) && mentions(statement.Resource, "LiveApi") && mentions(statement.Resource, "/test/POST/@connections/*")) {
      return ["liveApiConnections"];
    }
    // PutRecords on the driver-positions stream (stacks/test/tracking.test.ts checks it in full).
    if (sameActions(statement, ["kinesis:PutRecords"]) && mentions(statement.Resource, "DriverPositions")) return ["positionsStream"];
    return [`unexpected: ${JSON.stringify(statement)}`];
  });
}

/** The function running `handler` has exactly the environment, placement and grants its declared uses call for. */
function expectAccessAsDeclared(template: Template, handler: string, uses: readonly FunctionUse[] | undefined): void {
  const [, fn] = functionByHandler(template, handler);
  const declared = [...new Set(uses ?? [])];

  const variables = Object.keys(fn.Properties?.Environment?.Variables ?? {});
  expect(variables.sort()).toEqual([...new Set([...baseVariables, ...declared.flatMap((use) => variablesOfUse[use])])].sort());

  const roleId = referencedLogicalId(fn.Properties?.Role);
  const role = template.toJSON().Resources[roleId!];
  const managedPolicies = JSON.stringify(role.Properties.ManagedPolicyArns);
  if (declared.some((use) => vpcUses.has(use))) {
    expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
    for (const subnetId of fn.Properties?.VpcConfig?.SubnetIds ?? []) expect(mentions(subnetId, "applicationSubnet")).toBe(true);
    expect(managedPolicies).toContain("service-role/AWSLambdaVPCAccessExecutionRole");
  } else {
    expect(fn.Properties?.VpcConfig).toBeUndefined();
    expect(managedPolicies).not.toContain("AWSLambdaVPCAccessExecutionRole");
  }

  const statements = rolePolicyStatements(template, roleId!);
  expect(statements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.endsWith("*"))).toEqual([]);
  // Once each: two uses of one login (replica, primaryReadOnly) grant its secret once.
  expect(grantedAccess(statements).sort()).toEqual([...new Set(declared.flatMap(grantsOfUse))].sort());
}

describe("Network", () => {
  test("spreads its subnets over two zones named after the region, not looked up", () => {
    const zones = resourcesOfType(synthesized.network, "AWS::EC2::Subnet").map(([, subnet]) => subnet.Properties?.AvailabilityZone);
    expect(new Set(zones)).toEqual(new Set([`${testRegion}a`, `${testRegion}b`]));
  });

  test("has public, private-with-egress and isolated subnets in each zone", () => {
    const subnetTypes = resourcesOfType(synthesized.network, "AWS::EC2::Subnet").map(
      ([, subnet]) => subnet.Properties?.Tags?.find((tag: { Key: string }) => tag.Key === "aws-cdk:subnet-type")?.Value,
    );
    expect(subnetTypes.sort()).toEqual(["Isolated", "Isolated", "Private", "Private", "Public", "Public"]);
  });

  test("logs all traffic of the VPC to CloudWatch Logs", () => {
    synthesized.network.hasResourceProperties("AWS::EC2::FlowLog", {
      ResourceType: "VPC",
      TrafficType: "ALL",
      LogDestinationType: "cloud-watch-logs",
    });
  });

  test("has a security group for functions", () => {
    synthesized.network.hasResourceProperties("AWS::EC2::SecurityGroup", {
      GroupDescription: Match.stringLikeRegexp("Lambda functions"),
    });
  });
});

describe("Data: MySQL", () => {
  const primaryOf = () => {
    const primaries = resourcesOfType(synthesized.data, "AWS::RDS::DBInstance").filter(([, db]) => !db.Properties?.SourceDBInstanceIdentifier);
    expect(primaries).toHaveLength(1);
    return primaries[0]!;
  };

  test("runs a MySQL 8.4 primary, encrypted, backed up, on a non-default port", () => {
    const [, primary] = primaryOf();
    expect(primary.Properties).toMatchObject({
      Engine: "mysql",
      EngineVersion: expect.stringMatching(/^8\.4\./),
      StorageEncrypted: true,
      PubliclyAccessible: false,
      Port: String(mysqlPort),
      DBName: "haul",
    });
    expect(primary.Properties?.BackupRetentionPeriod).toBeGreaterThan(0);
  });

  test("keeps the admin credentials in a generated secret, attached to the primary and rotated", () => {
    const [primaryId, primary] = primaryOf();
    const [attachmentId, attachment] = onlyResourceOfType(synthesized.data, "AWS::SecretsManager::SecretTargetAttachment");
    expect(attachment.Properties).toMatchObject({ TargetId: { Ref: primaryId }, TargetType: "AWS::RDS::DBInstance" });
    const secretId = referencedLogicalId(attachment.Properties?.SecretId);
    expect(secretId).toBeDefined();
    expect(synthesized.data.toJSON().Resources[secretId!].Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: "password" });
    expect(mentions(primary.Properties?.MasterUserPassword, "{{resolve:secretsmanager:")).toBe(true);
    expect(mentions(primary.Properties?.MasterUserPassword, secretId!)).toBe(true);
    synthesized.data.hasResourceProperties("AWS::SecretsManager::RotationSchedule", {
      SecretId: { Ref: attachmentId },
    });
  });

  test("keeps a read replica of the primary on the same port and security group", () => {
    const [primaryId, primary] = primaryOf();
    const replicas = resourcesOfType(synthesized.data, "AWS::RDS::DBInstance").filter(([, db]) => db.Properties?.SourceDBInstanceIdentifier);
    expect(replicas).toHaveLength(1);
    const [, replica] = replicas[0]!;
    expect(mentions(replica.Properties?.SourceDBInstanceIdentifier, primaryId)).toBe(true);
    expect(replica.Properties?.Port).toBe(String(mysqlPort));
    expect(replica.Properties?.VPCSecurityGroups).toEqual(primary.Properties?.VPCSecurityGroups);
    // Inherited from the encrypted primary; CloudFormation forbids setting it on a replica.
    expect(replica.Properties?.StorageEncrypted).toBeUndefined();
  });

  test("refuses connections without TLS on both instances", () => {
    const [groupId, group] = onlyResourceOfType(synthesized.data, "AWS::RDS::DBParameterGroup");
    expect(group.Properties?.Parameters).toEqual({ require_secure_transport: "ON" });
    for (const [, db] of resourcesOfType(synthesized.data, "AWS::RDS::DBInstance")) expect(db.Properties?.DBParameterGroupName).toEqual({ Ref: groupId });
  });

  test("generates the read-only user's credentials as a {username, password} secret", () => {
    synthesized.data.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ username: readerUserName }),
        GenerateStringKey: "password",
      }),
    });
  });

  test("places both instances in isolated subnets", () => {
    for (const [, subnetGroup] of resourcesOfType(synthesized.data, "AWS::RDS::DBSubnetGroup")) {
      for (const subnetId of subnetGroup.Properties?.SubnetIds ?? []) expect(mentions(subnetId, "dataSubnet")).toBe(true);
    }
  });
});

describe("Data: Redis", () => {
  test("is a Multi-AZ replication group with automatic failover, encrypted in transit and at rest", () => {
    const [, redis] = onlyResourceOfType(synthesized.data, "AWS::ElastiCache::ReplicationGroup");
    expect(redis.Properties).toMatchObject({
      Engine: "redis",
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      NumCacheClusters: 2,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      Port: redisPort,
    });
  });

  test("takes its AUTH token from a Secrets Manager secret", () => {
    const [, redis] = onlyResourceOfType(synthesized.data, "AWS::ElastiCache::ReplicationGroup");
    const tokenSecret = resourcesOfType(synthesized.data, "AWS::SecretsManager::Secret").find(([id]) => mentions(redis.Properties?.AuthToken, id));
    expect(tokenSecret).toBeDefined();
    expect(mentions(redis.Properties?.AuthToken, "{{resolve:secretsmanager:")).toBe(true);
    // ElastiCache refuses @, " and / in tokens.
    expect(tokenSecret![1].Properties?.GenerateSecretString).toMatchObject({ ExcludePunctuation: true });
  });

  test("lives in isolated subnets", () => {
    const [, subnetGroup] = onlyResourceOfType(synthesized.data, "AWS::ElastiCache::SubnetGroup");
    const subnetIds: unknown[] = subnetGroup.Properties?.SubnetIds;
    expect(subnetIds.length).toBe(2);
    for (const subnetId of subnetIds) expect(mentions(subnetId, "dataSubnet")).toBe(true);
  });
});

describe("Data: network access", () => {
  test("admits only the functions' security group to MySQL and Redis", () => {
    const ingress = resourcesOfType(synthesized.data, "AWS::EC2::SecurityGroupIngress").map(([, rule]) => rule.Properties ?? {});
    const fromFunctions = ingress.filter((rule) => mentions(rule.SourceSecurityGroupId, "FunctionSecurityGroup"));
    expect(fromFunctions.map((rule) => rule.FromPort).sort()).toEqual([mysqlPort, redisPort].sort());
    // The only other way in is the secret rotation function, and nothing opens to an address range.
    expect(ingress.filter((rule) => !fromFunctions.includes(rule)).every((rule) => mentions(rule.SourceSecurityGroupId, "Rotation"))).toBe(true);
    expect(ingress.some((rule) => rule.CidrIp !== undefined || rule.CidrIpv6 !== undefined)).toBe(false);
  });
});

describe("Data: DynamoDB", () => {
  test.each(Object.entries(tables))("creates the declared table %s with its key, TTL and point-in-time recovery", (_key, declared) => {
    const declaration: { name: string; partitionKey: string; sortKey?: string; timeToLiveAttribute?: string } = declared;
    synthesized.data.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: `test-haul-${declaration.name}`,
      KeySchema: [
        { AttributeName: declaration.partitionKey, KeyType: "HASH" },
        ...(declaration.sortKey ? [{ AttributeName: declaration.sortKey, KeyType: "RANGE" }] : []),
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      ...(declaration.timeToLiveAttribute
        ? { TimeToLiveSpecification: { AttributeName: declaration.timeToLiveAttribute, Enabled: true } }
        : {}),
    });
  });

  test("creates no table the declaration does not list", () => {
    expect(resourcesOfType(synthesized.data, "AWS::DynamoDB::Table")).toHaveLength(Object.keys(tables).length);
  });
});

describe("Data: migrations", () => {
  const migrationFunctions = () => {
    const [, script] = onlyResourceOfType(synthesized.data, "Custom::SSTScript");
    const ids = [script.Properties?.UserCreateFunction, script.Properties?.UserUpdateFunction].map(referencedLogicalId);
    return ids.map((id) => {
      expect(id).toBeDefined();
      return synthesized.data.toJSON().Resources[id!];
    });
  };

  test("re-run on deploy whenever anything under sql/ changes", () => {
    const [, script] = onlyResourceOfType(synthesized.data, "Custom::SSTScript");
    expect(script.Properties?.Version).toBe(hashDirectory(path.resolve("sql")));
  });

  test("run the declared handler on create and on update, inside the VPC with the functions' security group", () => {
    for (const fn of migrationFunctions()) {
      expect(fn.Properties.Handler).toBe("packages/functions/src/migrations/run-migrations.handler");
      expect(mentions(fn.Properties.VpcConfig.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
      for (const subnetId of fn.Properties.VpcConfig.SubnetIds) expect(mentions(subnetId, "applicationSubnet")).toBe(true);
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining(["HAUL_MYSQL_HOST", "HAUL_MYSQL_PORT", "HAUL_MYSQL_DATABASE", "HAUL_MYSQL_SECRET_ARN", "HAUL_MYSQL_READER_SECRET_ARN"]),
      );
    }
  });

  test("ship the SQL files beside the bundle", () => {
    const migrationsDirectory = path.resolve("sql", "migrations");
    for (const fn of migrationFunctions()) {
      const assetHash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, "");
      const shipped = path.join(synthesized.assembly.directory, `asset.${assetHash}`, "sql", "migrations");
      expect(existsSync(shipped)).toBe(true);
      expect(readdirSync(shipped).sort()).toEqual(readdirSync(migrationsDirectory).sort());
    }
  });
});

describe("Data: outputs", () => {
  test("exposes the endpoints and every table's name", () => {
    const outputs = Object.keys(synthesized.data.toJSON().Outputs ?? {});
    expect(outputs).toEqual(
      expect.arrayContaining([
        "MysqlPrimaryHost",
        "MysqlReplicaHost",
        "MysqlPort",
        "RedisUrl",
        ...Object.values(tables).map((table) => `${table.name}TableName`),
      ]),
    );
  });
});

describe("Auth", () => {
  test("has one group per role", () => {
    const groups = resourcesOfType(synthesized.auth, "AWS::Cognito::UserPoolGroup").map(([, group]) => group.Properties?.GroupName);
    expect(groups.sort()).toEqual([...roles].sort());
  });

  test("demands strong passwords and enforces threat protection", () => {
    synthesized.auth.hasResourceProperties("AWS::Cognito::UserPool", {
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: Match.anyValue(),
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      UserPoolAddOns: { AdvancedSecurityMode: "ENFORCED" },
    });
    const [, pool] = onlyResourceOfType(synthesized.auth, "AWS::Cognito::UserPool");
    expect(pool.Properties?.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
  });

  test("has a public app client (no secret) signing in with SRP", () => {
    const [, client] = onlyResourceOfType(synthesized.auth, "AWS::Cognito::UserPoolClient");
    expect(client.Properties?.GenerateSecret).toBe(false);
    expect(client.Properties?.ExplicitAuthFlows).toContain("ALLOW_USER_SRP_AUTH");
  });

  test("outputs the pool, the client (JWT audience) and the issuer", () => {
    const outputs = synthesized.auth.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["UserPoolId", "UserPoolClientId", "IssuerUrl"]));
    expect(mentions(outputs.IssuerUrl.Value, `https://cognito-idp.${testRegion}.`)).toBe(true);
  });
});

describe("Messaging", () => {
  const topic = () => onlyResourceOfType(synthesized.messaging, "AWS::SNS::Topic");
  const queueNamed = (name: string) => {
    const found = resourcesOfType(synthesized.messaging, "AWS::SQS::Queue").filter(([, queue]) => queue.Properties?.QueueName === `test-haul-${name}`);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const queue = () => queueNamed(driverNotifications.queueName);
  const deadLetterQueue = () => queueNamed(driverNotifications.deadLetterQueueName);
  const queuePolicyOf = (queueId: string) => {
    const found = resourcesOfType(synthesized.messaging, "AWS::SQS::QueuePolicy").filter(([, policy]) => mentions(policy.Properties?.Queues, queueId));
    expect(found).toHaveLength(1);
    return found[0]![1].Properties?.PolicyDocument.Statement as PolicyStatement[];
  };

  test("names the topic and its queues as the declaration and the local cloud do", () => {
    expect(topic()[1].Properties?.TopicName).toBe(`test-haul-${driverNotifications.topicName}`);
    expect(resourcesOfType(synthesized.messaging, "AWS::SQS::Queue")).toHaveLength(2);
  });

  test("encrypts the topic with a key of its own that rotates, and takes publishes over TLS only", () => {
    const [topicId, snsTopic] = topic();
    const [keyId, key] = onlyResourceOfType(synthesized.messaging, "AWS::KMS::Key");
    expect(snsTopic.Properties?.KmsMasterKeyId).toEqual({ "Fn::GetAtt": [keyId, "Arn"] });
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    const [, topicPolicy] = onlyResourceOfType(synthesized.messaging, "AWS::SNS::TopicPolicy");
    expect(topicPolicy.Properties?.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Action: "sns:Publish",
        Resource: { Ref: topicId },
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
  });

  test.each([driverNotifications.queueName, driverNotifications.deadLetterQueueName])("encrypts %s and refuses requests without TLS", (name) => {
    const [queueId, sqsQueue] = queueNamed(name);
    expect(sqsQueue.Properties?.SqsManagedSseEnabled).toBe(true);
    expect(queuePolicyOf(queueId)).toContainEqual({
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "sqs:*",
      Resource: { "Fn::GetAtt": [queueId, "Arn"] },
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("moves a message to the DLQ after the declared number of receives, and keeps it there longer", () => {
    const [, sqsQueue] = queue();
    const [deadLetterId, deadLetter] = deadLetterQueue();
    expect(sqsQueue.Properties?.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": [deadLetterId, "Arn"] },
      maxReceiveCount: driverNotifications.maxReceiveCount,
    });
    expect(sqsQueue.Properties?.VisibilityTimeout).toBe(driverNotifications.visibilityTimeoutSeconds);
    expect(deadLetter.Properties?.MessageRetentionPeriod).toBeGreaterThan(sqsQueue.Properties?.MessageRetentionPeriod);
    expect(deadLetter.Properties?.RedrivePolicy).toBeUndefined();
  });

  test("subscribes the queue to the topic with the SNS envelope (raw delivery off), undeliverable messages to the DLQ", () => {
    const [topicId] = topic();
    const [queueId] = queue();
    const [deadLetterId] = deadLetterQueue();
    const [, subscription] = onlyResourceOfType(synthesized.messaging, "AWS::SNS::Subscription");
    expect(subscription.Properties).toEqual({
      Protocol: "sqs",
      TopicArn: { Ref: topicId },
      Endpoint: { "Fn::GetAtt": [queueId, "Arn"] },
      RawMessageDelivery: false,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [deadLetterId, "Arn"] } },
    });
    for (const id of [queueId, deadLetterId]) {
      expect(queuePolicyOf(id)).toContainEqual({
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: { "Fn::GetAtt": [id, "Arn"] },
        Condition: { ArnEquals: { "aws:SourceArn": { Ref: topicId } } },
      });
    }
  });

  test("outputs the topic, the queue and the DLQ", () => {
    const outputs = synthesized.messaging.toJSON().Outputs;
    const [topicId] = topic();
    const [queueId] = queue();
    const [deadLetterId] = deadLetterQueue();
    expect(outputs.DriverNotificationsTopicArn.Value).toEqual({ Ref: topicId });
    expect(outputs.DriverNotificationsQueueUrl.Value).toEqual({ Ref: queueId });
    expect(outputs.DriverNotificationsQueueArn.Value).toEqual({ "Fn::GetAtt": [queueId, "Arn"] });
    expect(outputs.DriverNotificationsDlqUrl.Value).toEqual({ Ref: deadLetterId });
    expect(outputs.DriverNotificationsDlqArn.Value).toEqual({ "Fn::GetAtt": [deadLetterId, "Arn"] });
  });
});

describe("Workflow", () => {
  const aslText = () => readFileSync(path.resolve(reservationWorkflow.definitionFile), "utf8");
  const stateMachine = () => onlyResourceOfType(synthesized.workflow, "AWS::StepFunctions::StateMachine");
  const taskEntries = Object.entries<WorkflowTaskDeclaration>(reservationWorkflow.tasks);
  const taskFunctionId = (task: WorkflowTaskDeclaration) => functionByHandler(synthesized.workflow, task.handler)[0];
  const trackingSessionsTableId = () => {
    const found = resourcesOfType(synthesized.data, "AWS::DynamoDB::Table").filter(
      ([, table]) => table.Properties?.TableName === `test-haul-${tables.trackingSessions.name}`,
    );
    expect(found).toHaveLength(1);
    return found[0]![0];
  };

  /** Replaces every whole-value `${Name}` of a parsed ASL document by its substitution. */
  function substitute(value: unknown, substitutions: Record<string, unknown>): unknown {
    if (typeof value === "string") {
      const name = /^\$\{(\w+)\}$/.exec(value)?.[1];
      return name !== undefined && name in substitutions ? substitutions[name] : value;
    }
    if (Array.isArray(value)) return value.map((item) => substitute(item, substitutions));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, substitutions)]));
    }
    return value;
  }

  test("is a Standard state machine named as the local cloud names it", () => {
    expect(stateMachine()[1].Properties).toMatchObject({
      StateMachineType: "STANDARD",
      StateMachineName: `test-haul-${reservationWorkflow.name}`,
    });
  });

  test("runs the ASL file itself, with a substitution for every placeholder in it and no other", () => {
    const properties = stateMachine()[1].Properties!;
    // A plain string: DefinitionBody.fromString keeps the file as it is and CloudFormation substitutes.
    expect(typeof properties.DefinitionString).toBe("string");
    expect(JSON.parse(properties.DefinitionString)).toEqual(JSON.parse(aslText()));
    const placeholders = new Set([...aslText().matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]));
    expect(Object.keys(properties.DefinitionSubstitutions).sort()).toEqual([...placeholders].sort());
  });

  test("resolves the substitutions to the task functions, the driver notifications topic and the tracking sessions table", () => {
    const properties = stateMachine()[1].Properties!;
    const resolved = substitute(JSON.parse(properties.DefinitionString), properties.DefinitionSubstitutions);
    const [topicId] = onlyResourceOfType(synthesized.messaging, "AWS::SNS::Topic");
    const expected = substitute(JSON.parse(aslText()), {
      ...Object.fromEntries(taskEntries.map(([, task]) => [task.arnSubstitution, { "Fn::GetAtt": [taskFunctionId(task), "Arn"] }])),
      [reservationWorkflow.substitutions.driverNotificationsTopicArn]: importOf(synthesized.messaging, { Ref: topicId }),
      [reservationWorkflow.substitutions.trackingSessionsTableName]: importOf(synthesized.data, { Ref: trackingSessionsTableId() }),
    });
    expect(resolved).toEqual(expected);
    expect(JSON.stringify(resolved)).not.toContain("${");
  });

  test("sends every Lambda task of the ASL to the function running the declared handler", () => {
    const properties = stateMachine()[1].Properties!;
    const states: Record<string, { Type: string; Resource?: string }> = JSON.parse(properties.DefinitionString).States;
    const lambdaStates = Object.entries(states).filter(([, state]) => state.Type === "Task" && !state.Resource?.startsWith("arn:"));
    expect(lambdaStates.length).toBeGreaterThan(0);
    for (const [stateName, state] of lambdaStates) {
      const substitution = /^\$\{(\w+)\}$/.exec(state.Resource ?? "")?.[1];
      const task = taskEntries.find(([, declared]) => declared.arnSubstitution === substitution)?.[1];
      expect({ stateName, task: task?.handler }).toEqual({ stateName, task: expect.any(String) });
      expect(properties.DefinitionSubstitutions[substitution!]).toEqual({ "Fn::GetAtt": [taskFunctionId(task!), "Arn"] });
    }
  });

  test("logs ALL events with execution data to a vended-logs group that expires, and traces with X-Ray", () => {
    // The stack's other log groups are its task functions' (stacks/test/observability.test.ts).
    const executionLogGroups = resourcesOfType(synthesized.workflow, "AWS::Logs::LogGroup").filter(([, group]) => String(group.Properties?.LogGroupName).startsWith("/aws/vendedlogs/states/"));
    expect(executionLogGroups).toHaveLength(1);
    const [logGroupId, logGroup] = executionLogGroups[0]!;
    expect(logGroup.Properties?.LogGroupName).toBe(`/aws/vendedlogs/states/test-haul-${reservationWorkflow.name}`);
    expect(logGroup.Properties?.RetentionInDays).toBeGreaterThan(0);
    expect(stateMachine()[1].Properties).toMatchObject({
      LoggingConfiguration: {
        Level: "ALL",
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { "Fn::GetAtt": [logGroupId, "Arn"] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  test("lets its role invoke exactly its three functions, publish to exactly the topic and write exactly the tracking sessions", () => {
    const roleId = referencedLogicalId(stateMachine()[1].Properties?.RoleArn)!;
    const role = synthesized.workflow.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: "sts:AssumeRole", Principal: { Service: "states.amazonaws.com" } }),
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();

    const statements = rolePolicyStatements(synthesized.workflow, roleId);
    const normalize = (statement: PolicyStatement) => ({
      Effect: statement.Effect,
      Action: [statement.Action].flat().sort(),
      // CDK adds no index ARNs for a table without indexes, as an AWS::NoValue.
      Resource: [statement.Resource].flat().filter((resource) => JSON.stringify(resource) !== JSON.stringify({ Ref: "AWS::NoValue" })),
    });
    const bySort = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

    // What CDK forces for logging and tracing: these services have no resource-level permissions.
    const anyResource = statements.filter((statement) => statement.Resource === "*").flatMap((statement) => [statement.Action].flat());
    expect(anyResource.sort()).toEqual(
      [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ].sort(),
    );

    const [topicId] = onlyResourceOfType(synthesized.messaging, "AWS::SNS::Topic");
    const [keyId] = onlyResourceOfType(synthesized.messaging, "AWS::KMS::Key");
    const expected = [
      ...taskEntries.map(([, task]) => {
        const arn = { "Fn::GetAtt": [taskFunctionId(task), "Arn"] };
        // `:*`: any version of that one function (CDK's grantInvoke).
        return { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [arn, { "Fn::Join": ["", [arn, ":*"]] }] };
      }),
      { Effect: "Allow", Action: ["sns:Publish"], Resource: [importOf(synthesized.messaging, { Ref: topicId })] },
      // Publishing to an encrypted topic needs its key.
      { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: [importOf(synthesized.messaging, { "Fn::GetAtt": [keyId, "Arn"] })] },
      {
        Effect: "Allow",
        Action: ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        Resource: [importOf(synthesized.data, { "Fn::GetAtt": [trackingSessionsTableId(), "Arn"] })],
      },
    ];
    const scoped = statements.filter((statement) => statement.Resource !== "*").map(normalize);
    expect(scoped.sort(bySort)).toEqual(expected.sort(bySort));
  });

  test.each(taskEntries)("gives the %s task's function exactly the environment, VPC placement and grants of its declared uses", (_name, task) => {
    expectAccessAsDeclared(synthesized.workflow, task.handler, task.uses);
  });

  test("has no function but its declared tasks and the reconciler (and SST's own)", () => {
    const haulFunctions = resourcesOfType(synthesized.workflow, "AWS::Lambda::Function").filter(([, fn]) => String(fn.Properties?.Handler).startsWith("packages/"));
    expect(haulFunctions.map(([, fn]) => fn.Properties?.Handler).sort()).toEqual([...taskEntries.map(([, task]) => task.handler), workflowReconciler.handler].sort());
  });

  test("runs the reconciler on its schedule, allowed to start the workflow's executions, ask their status and use the primary, nothing more (no histories, no listing)", () => {
    const [stateMachineId] = stateMachine();
    const [fnId, fn] = functionByHandler(synthesized.workflow, workflowReconciler.handler);
    expect(fn.Properties?.Timeout).toBe(workflowReconciler.timeoutSeconds);
    expect(fn.Properties?.Environment.Variables.HAUL_RESERVATION_STATE_MACHINE_ARN).toEqual({ Ref: stateMachineId });
    const rules = resourcesOfType(synthesized.workflow, "AWS::Events::Rule").filter(([, rule]) =>
      (rule.Properties?.Targets as Array<{ Arn: unknown }>).some((target) => referencedLogicalId(target.Arn) === fnId),
    );
    expect(rules.map(([, rule]) => rule.Properties)).toMatchObject([{ ScheduleExpression: workflowReconciler.schedule, State: "ENABLED" }]);
    expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);

    const statements = rolePolicyStatements(synthesized.workflow, referencedLogicalId(fn.Properties?.Role)!);
    const actions = statements.flatMap((statement) => [statement.Action].flat()).filter((action) => !action.startsWith("xray:"));
    expect(actions.sort()).toEqual(
      ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "states:DescribeExecution", "states:StartExecution"].sort(),
    );
    expect(statements).toContainEqual({ Effect: "Allow", Action: "states:StartExecution", Resource: { Ref: stateMachineId } });
    const executions = statements.find((statement) => [statement.Action].flat().includes("states:DescribeExecution"))!;
    expect(mentions(executions.Resource, `:execution:`)).toBe(true);
    expect(mentions(executions.Resource, `${reservationWorkflow.name}`)).toBe(true);
  });

  test("outputs the state machine's ARN", () => {
    const [stateMachineId] = stateMachine();
    expect(synthesized.workflow.toJSON().Outputs.ReservationStateMachineArn.Value).toEqual({ Ref: stateMachineId });
  });
});

/** Each HTTP service: a stack of its own, named as its declaration, whose template the tests read. */
const serviceApis: ReadonlyArray<readonly [name: string, declaration: HttpApiDeclaration, template: () => Template]> = [
  [reservationApi.name, reservationApi, () => synthesized.api],
  [queryApi.name, queryApi, () => synthesized.query],
];

describe.each(serviceApis)("%s", (_name, declaration, templateOf) => {
  const declaredRoutes = Object.entries<RouteDeclaration>(declaration.routes);

  test("has one HTTP API of its own, serving exactly the declared routes", () => {
    onlyResourceOfType(templateOf(), "AWS::ApiGatewayV2::Api");
    expect(listHttpApiRouteKeys(templateOf())).toEqual(Object.keys(declaration.routes).sort());
  });

  test("checks tokens with a JWT authorizer: the Cognito issuer, the app client as audience", () => {
    const [, authorizer] = onlyResourceOfType(templateOf(), "AWS::ApiGatewayV2::Authorizer");
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: "JWT", IdentitySource: ["$request.header.Authorization"] });
    const { Audience, Issuer } = authorizer.Properties?.JwtConfiguration;
    expect(Audience).toHaveLength(1);
    expect(mentions(Audience, "UsersUserPoolClient")).toBe(true);
    expect(mentions(Issuer, "https://cognito-idp.")).toBe(true);
    expect(mentions(Issuer, "UsersUserPool")).toBe(true);
  });

  test.each(declaredRoutes)("guards %s as declared", (routeKey, route) => {
    const [authorizerId] = onlyResourceOfType(templateOf(), "AWS::ApiGatewayV2::Authorizer");
    const expected =
      route.auth === "jwt"
        ? { AuthorizationType: "JWT", AuthorizerId: { Ref: authorizerId } }
        : { AuthorizationType: "NONE", AuthorizerId: Match.absent() };
    templateOf().hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: routeKey, ...expected });
  });

  test.each(declaredRoutes)("runs %s on its declared handler", (routeKey, route) => {
    const [, cfnRoute] = resourcesOfType(templateOf(), "AWS::ApiGatewayV2::Route").find(([, r]) => r.Properties?.RouteKey === routeKey)!;
    const integrationId = String(cfnRoute.Properties?.Target["Fn::Join"][1][1].Ref);
    const functionId = referencedLogicalId(templateOf().toJSON().Resources[integrationId].Properties.IntegrationUri);
    expect(templateOf().toJSON().Resources[functionId!].Properties.Handler).toBe(route.handler);
  });

  // Its allowed origins, exactly the web app's site: stacks/test/web.test.ts.
  test("answers CORS as declared", () => {
    templateOf().hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      CorsConfiguration: {
        AllowMethods: [...cors.allowMethods],
        AllowHeaders: [...cors.allowHeaders],
        ExposeHeaders: [...cors.exposeHeaders],
        MaxAge: cors.maxAgeSeconds,
        AllowCredentials: false,
      },
    });
  });

  test("writes access logs to a log group that expires", () => {
    // The stack's other log groups are its functions' (stacks/test/observability.test.ts).
    const accessLogGroups = resourcesOfType(templateOf(), "AWS::Logs::LogGroup").filter(([, group]) => JSON.stringify(group.Properties?.LogGroupName).includes("/aws/vendedlogs/apis/"));
    expect(accessLogGroups).toHaveLength(1);
    const [logGroupId, logGroup] = accessLogGroups[0]!;
    expect(logGroup.Properties?.RetentionInDays).toBeGreaterThan(0);
    templateOf().hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      AccessLogSettings: { DestinationArn: { "Fn::GetAtt": [logGroupId, "Arn"] }, Format: Match.stringLikeRegexp("requestId") },
    });
  });

  test.each(declaredRoutes)("gives %s's function exactly the environment, VPC placement and grants of its declared uses", (_routeKey, route) => {
    expectAccessAsDeclared(templateOf(), route.handler, route.uses);
  });

  test("points functions at MySQL's non-default port and Redis over TLS", () => {
    const [, health] = functionByHandler(templateOf(), declaration.routes["GET /health"]!.handler);
    const variables = health.Properties?.Environment.Variables;
    expect(variables.HAUL_MYSQL_PORT).toBe(String(mysqlPort));
    expect(variables.HAUL_REDIS_URL["Fn::Join"][1][0]).toBe("rediss://");
  });

  test("outputs its URL", () => {
    expect(Object.keys(templateOf().toJSON().Outputs)).toContain(`${declaration.name}Url`);
  });
});

describe("ReservationApi", () => {
  test("keeps the public OpenAPI document away from every secret, table and the VPC", () => {
    const [, fn] = functionByHandler(synthesized.api, reservationApi.routes["GET /openapi.json"].handler);
    expect(fn.Properties?.VpcConfig).toBeUndefined();
    const statements = rolePolicyStatements(synthesized.api, referencedLogicalId(fn.Properties?.Role)!);
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
  });

  test("lets only the reservation routes start the workflow, on exactly its state machine", () => {
    const [stateMachineId] = onlyResourceOfType(synthesized.workflow, "AWS::StepFunctions::StateMachine");
    const starters = Object.values<RouteDeclaration>(reservationApi.routes).filter((route) => {
      const [, fn] = functionByHandler(synthesized.api, route.handler);
      return rolePolicyStatements(synthesized.api, referencedLogicalId(fn.Properties?.Role)!).some((statement) =>
        [statement.Action].flat().includes("states:StartExecution"),
      );
    });
    // Reserve, cancel, pickup and delivery: each a workflow execution.
    const declaredStarters = Object.values<RouteDeclaration>(reservationApi.routes).filter((route) => route.uses?.includes("reservationWorkflow"));
    expect(declaredStarters).toHaveLength(4);
    expect(starters.map((route) => route.handler).sort()).toEqual(declaredStarters.map((route) => route.handler).sort());
    for (const route of starters) {
      const [, fn] = functionByHandler(synthesized.api, route.handler);
      expect(fn.Properties?.Environment.Variables.HAUL_RESERVATION_STATE_MACHINE_ARN).toEqual(importOf(synthesized.workflow, { Ref: stateMachineId }));
      expect(rolePolicyStatements(synthesized.api, referencedLogicalId(fn.Properties?.Role)!)).toContainEqual({
        Effect: "Allow",
        Action: "states:StartExecution",
        Resource: importOf(synthesized.workflow, { Ref: stateMachineId }),
      });
    }
  });

  test("lets only the operators' execution routes read the workflow's executions, and start none", () => {
    const [stateMachineId] = onlyResourceOfType(synthesized.workflow, "AWS::StepFunctions::StateMachine");
    const readers = Object.values<RouteDeclaration>(reservationApi.routes).filter((route) => route.uses?.includes("workflowHistory"));
    expect(readers.map((route) => route.handler).sort()).toEqual([
      reservationApi.routes["GET /ops/executions/{name}"].handler,
      reservationApi.routes["GET /ops/executions"].handler,
    ]);
    for (const route of Object.values<RouteDeclaration>(reservationApi.routes)) {
      const [, fn] = functionByHandler(synthesized.api, route.handler);
      const statements = rolePolicyStatements(synthesized.api, referencedLogicalId(fn.Properties?.Role)!);
      const actions = statements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith("states:"));
      if (!readers.includes(route)) {
        expect(actions.filter((action) => action !== "states:StartExecution"), route.handler).toEqual([]);
        continue;
      }
      expect(route.roles).toEqual(["operator"]);
      expect(actions.sort()).toEqual(["states:DescribeExecution", "states:GetExecutionHistory", "states:ListExecutions"]);
      expect(statements).toContainEqual({ Effect: "Allow", Action: "states:ListExecutions", Resource: importOf(synthesized.workflow, { Ref: stateMachineId }) });
      const executions = statements.find((statement) => [statement.Action].flat().includes("states:DescribeExecution"))!;
      // arn:<partition>:states:<region>:<account>:execution:<the state machine's name>:*
      const arn = JSON.stringify(executions.Resource);
      expect(arn).toContain(":execution:");
      expect(arn).toMatch(/:\*"\]\]\}$/);
      expect(mentions(executions.Resource, JSON.stringify(importOf(synthesized.workflow, { Ref: stateMachineId })).slice(1, -1))).toBe(true);
    }
  });

});

describe("QueryApi", () => {
  const queryRoutes = Object.entries<RouteDeclaration>(queryApi.routes);
  const functionsOf = (template: Template) => resourcesOfType(template, "AWS::Lambda::Function");
  const readerSecretId = () => {
    const found = resourcesOfType(synthesized.data, "AWS::SecretsManager::Secret").filter(
      ([, secret]) => secret.Properties?.GenerateSecretString?.SecretStringTemplate === JSON.stringify({ username: readerUserName }),
    );
    expect(found).toHaveLength(1);
    return found[0]![0];
  };
  const instanceId = (replica: boolean) => {
    const found = resourcesOfType(synthesized.data, "AWS::RDS::DBInstance").filter(([, db]) => Boolean(db.Properties?.SourceDBInstanceIdentifier) === replica);
    expect(found).toHaveLength(1);
    return found[0]![0];
  };

  test("is a stack of its own that needs neither the write side nor the workflow", () => {
    const text = JSON.stringify(synthesized.query.toJSON());
    expect(text).not.toContain("test-haul-ReservationApi");
    expect(text).not.toContain("test-haul-Workflow");
    expect(text).not.toContain("test-haul-Messaging");
  });

  test("has no function but its declared routes' (and SST's own)", () => {
    const haulFunctions = functionsOf(synthesized.query).filter(([, fn]) => String(fn.Properties?.Handler).startsWith("packages/"));
    expect(haulFunctions.map(([, fn]) => fn.Properties?.Handler).sort()).toEqual(queryRoutes.map(([, route]) => route.handler).sort());
  });

  test.each(queryRoutes)("runs %s in the VPC as the read-only user, on the replica and on the primary, with the Redis endpoint", (_routeKey, route) => {
    const [, fn] = functionByHandler(synthesized.query, route.handler);
    const variables = fn.Properties?.Environment.Variables;
    expect(fn.Properties?.VpcConfig?.SubnetIds?.length).toBeGreaterThan(0);
    expect(variables.HAUL_MYSQL_READER_SECRET_ARN).toEqual(importOf(synthesized.data, { Ref: readerSecretId() }));
    expect(variables.HAUL_MYSQL_REPLICA_HOST).toEqual(importOf(synthesized.data, { "Fn::GetAtt": [instanceId(true), "Endpoint.Address"] }));
    expect(variables.HAUL_MYSQL_HOST).toEqual(importOf(synthesized.data, { "Fn::GetAtt": [instanceId(false), "Endpoint.Address"] }));
    expect(variables.HAUL_MYSQL_DATABASE).toBe("haul");
    expect(mentions(variables.HAUL_REDIS_URL, "Redis")).toBe(true);
    expect(mentions(variables.HAUL_REDIS_AUTH_SECRET_ARN, "RedisAuthToken")).toBe(true);
  });

  test("gives no function the admin secret: neither its ARN nor the right to read it", () => {
    expect(functionsOf(synthesized.query).length).toBeGreaterThan(0);
    for (const [, fn] of functionsOf(synthesized.query)) {
      expect(fn.Properties?.Environment?.Variables?.HAUL_MYSQL_SECRET_ARN).toBeUndefined();
      expect(mentions(fn.Properties?.Environment, "MysqlPrimarySecret")).toBe(false);
    }
    for (const [, policy] of resourcesOfType(synthesized.query, "AWS::IAM::Policy")) {
      expect(mentions(policy.Properties?.PolicyDocument, "MysqlPrimarySecret")).toBe(false);
    }
    // Nor any write path of the write side.
    const actions = resourcesOfType(synthesized.query, "AWS::IAM::Policy").flatMap(([, policy]) =>
      (policy.Properties?.PolicyDocument.Statement as PolicyStatement[]).flatMap((statement) => [statement.Action].flat()),
    );
    expect(actions.filter((action) => /^(states|dynamodb|sns|sqs):/.test(action))).toEqual([]);
  });

  test("grants its route functions the reader's secret and the Redis token, and no other secret", () => {
    for (const [, route] of queryRoutes) {
      const [, fn] = functionByHandler(synthesized.query, route.handler);
      const secretStatements = rolePolicyStatements(synthesized.query, referencedLogicalId(fn.Properties?.Role)!).filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith("secretsmanager:")),
      );
      expect(secretStatements.map((statement) => statement.Resource).sort(bySerialization)).toEqual(
        [importOf(synthesized.data, { Ref: readerSecretId() }), importOf(synthesized.data, { Ref: onlyRedisTokenId() })].sort(bySerialization),
      );
    }
  });
});

const bySerialization = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
const onlyRedisTokenId = () => {
  const [, redis] = onlyResourceOfType(synthesized.data, "AWS::ElastiCache::ReplicationGroup");
  const found = resourcesOfType(synthesized.data, "AWS::SecretsManager::Secret").filter(([id]) => mentions(redis.Properties?.AuthToken, id));
  expect(found).toHaveLength(1);
  return found[0]![0];
};

describe("the whole app", () => {
  test("runs every function on nodejs22.x (the runtime the L1 suppression vouches for)", () => {
    for (const template of synthesized.templates().values()) {
      // CDK's BucketDeployment (config.json, stacks/WebConfig.ts) runs the AWS CLI on the Python CDK pins; its own suppression says so.
      const bucketDeployers = new Set(resourcesOfType(template, "Custom::CDKBucketDeployment").map(([, deployment]) => referencedLogicalId(deployment.Properties?.ServiceToken)));
      for (const [logicalId, fn] of resourcesOfType(template, "AWS::Lambda::Function")) {
        if (!bucketDeployers.has(logicalId)) expect(fn.Properties?.Runtime).toBe("nodejs22.x");
      }
    }
  });

  test("gives Haul's own functions the app defaults: arm64, active tracing, JSON logs", () => {
    const haulFunctions = [...synthesized.templates().values()].flatMap((template) =>
      resourcesOfType(template, "AWS::Lambda::Function").filter(([, fn]) => String(fn.Properties?.Handler).startsWith("packages/")),
    );
    expect(haulFunctions.length).toBeGreaterThan(0);
    for (const [, fn] of haulFunctions) {
      expect(fn.Properties).toMatchObject({
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
        LoggingConfig: { LogFormat: "JSON" },
      });
    }
  });

  test("removes everything when a non-production stage is removed", () => {
    for (const template of synthesized.templates().values()) {
      for (const [logicalId, resource] of allResources(template)) {
        // No policy is CloudFormation's default, which deletes.
        expect({ logicalId, policy: resource.DeletionPolicy ?? "Delete" }).toEqual({ logicalId, policy: "Delete" });
      }
    }
    for (const [, db] of resourcesOfType(synthesized.data, "AWS::RDS::DBInstance")) expect(db.Properties?.DeletionProtection).toBe(false);
    for (const [, table] of resourcesOfType(synthesized.data, "AWS::DynamoDB::Table")) expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
    synthesized.auth.hasResourceProperties("AWS::Cognito::UserPool", { DeletionProtection: "INACTIVE" });
  });

  test("names stacks <stage>-haul-<Stack>, as the outputs file expects", () => {
    expect([...synthesized.templates().keys()].sort()).toEqual(
      [
        "test-haul-Auth",
        "test-haul-Data",
        "test-haul-LiveApi",
        "test-haul-Messaging",
        "test-haul-Network",
        "test-haul-NotificationApi",
        "test-haul-Observability",
        "test-haul-QueryApi",
        "test-haul-ReservationApi",
        "test-haul-Search",
        "test-haul-Tracking",
        "test-haul-Web",
        "test-haul-WebConfig",
        "test-haul-Workflow",
      ],
    );
  });

  test("gives every declared HTTP API a stack of its own, with exactly its routes", async () => {
    expect(await synthesizedHttpApiRouteKeys()).toEqual(
      Object.fromEntries(httpApis.map((declaration) => [declaration.name, Object.keys(declaration.routes).sort()])),
    );
  });
});
