/**
 * The app as a non-production stage (`test`) synthesizes it: what each stack builds from the
 * declaration, and that everything is removable. Production's differences: production.test.ts.
 */
import { roles } from "@haul/core/user";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { cors, reservationApi, tableNameVariable, tables } from "../../packages/functions/src/declarations.js";
import { Auth } from "../Auth.js";
import { Data, mysqlPort, readerUserName, redisPort } from "../Data.js";
import { hashDirectory } from "../hash-directory.js";
import { Network } from "../Network.js";
import { ReservationApi } from "../ReservationApi.js";
import { listHttpApiRouteKeys, synthesizeApp, synthesizedHttpApiRouteKeys, testRegion, type SynthesizedApp } from "./support/synth-app.js";
import { allResources, mentions, onlyResourceOfType, referencedLogicalId, resourcesOfType } from "./support/template-queries.js";

let synthesized: SynthesizedApp;
let network: Template;
let data: Template;
let auth: Template;
let api: Template;

beforeAll(async () => {
  synthesized = await synthesizeApp({ stage: "test" });
  network = synthesized.template(Network);
  data = synthesized.template(Data);
  auth = synthesized.template(Auth);
  api = synthesized.template(ReservationApi);
}, 180_000);

describe("Network", () => {
  test("spreads its subnets over two zones named after the region, not looked up", () => {
    const zones = resourcesOfType(network, "AWS::EC2::Subnet").map(([, subnet]) => subnet.Properties?.AvailabilityZone);
    expect(new Set(zones)).toEqual(new Set([`${testRegion}a`, `${testRegion}b`]));
  });

  test("has public, private-with-egress and isolated subnets in each zone", () => {
    const subnetTypes = resourcesOfType(network, "AWS::EC2::Subnet").map(
      ([, subnet]) => subnet.Properties?.Tags?.find((tag: { Key: string }) => tag.Key === "aws-cdk:subnet-type")?.Value,
    );
    expect(subnetTypes.sort()).toEqual(["Isolated", "Isolated", "Private", "Private", "Public", "Public"]);
  });

  test("logs all traffic of the VPC to CloudWatch Logs", () => {
    network.hasResourceProperties("AWS::EC2::FlowLog", {
      ResourceType: "VPC",
      TrafficType: "ALL",
      LogDestinationType: "cloud-watch-logs",
    });
  });

  test("has a security group for functions", () => {
    network.hasResourceProperties("AWS::EC2::SecurityGroup", {
      GroupDescription: Match.stringLikeRegexp("Lambda functions"),
    });
  });
});

describe("Data: MySQL", () => {
  const primaryOf = () => {
    const primaries = resourcesOfType(data, "AWS::RDS::DBInstance").filter(([, db]) => !db.Properties?.SourceDBInstanceIdentifier);
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
    const [attachmentId, attachment] = onlyResourceOfType(data, "AWS::SecretsManager::SecretTargetAttachment");
    expect(attachment.Properties).toMatchObject({ TargetId: { Ref: primaryId }, TargetType: "AWS::RDS::DBInstance" });
    const secretId = referencedLogicalId(attachment.Properties?.SecretId);
    expect(secretId).toBeDefined();
    expect(data.toJSON().Resources[secretId!].Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: "password" });
    expect(mentions(primary.Properties?.MasterUserPassword, "{{resolve:secretsmanager:")).toBe(true);
    expect(mentions(primary.Properties?.MasterUserPassword, secretId!)).toBe(true);
    data.hasResourceProperties("AWS::SecretsManager::RotationSchedule", {
      SecretId: { Ref: attachmentId },
    });
  });

  test("keeps a read replica of the primary on the same port and security group", () => {
    const [primaryId, primary] = primaryOf();
    const replicas = resourcesOfType(data, "AWS::RDS::DBInstance").filter(([, db]) => db.Properties?.SourceDBInstanceIdentifier);
    expect(replicas).toHaveLength(1);
    const [, replica] = replicas[0]!;
    expect(mentions(replica.Properties?.SourceDBInstanceIdentifier, primaryId)).toBe(true);
    expect(replica.Properties?.Port).toBe(String(mysqlPort));
    expect(replica.Properties?.VPCSecurityGroups).toEqual(primary.Properties?.VPCSecurityGroups);
    // Inherited from the encrypted primary; CloudFormation forbids setting it on a replica.
    expect(replica.Properties?.StorageEncrypted).toBeUndefined();
  });

  test("refuses connections without TLS on both instances", () => {
    const [groupId, group] = onlyResourceOfType(data, "AWS::RDS::DBParameterGroup");
    expect(group.Properties?.Parameters).toEqual({ require_secure_transport: "ON" });
    for (const [, db] of resourcesOfType(data, "AWS::RDS::DBInstance")) expect(db.Properties?.DBParameterGroupName).toEqual({ Ref: groupId });
  });

  test("generates the read-only user's credentials as a {username, password} secret", () => {
    data.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ username: readerUserName }),
        GenerateStringKey: "password",
      }),
    });
  });

  test("places both instances in isolated subnets", () => {
    for (const [, subnetGroup] of resourcesOfType(data, "AWS::RDS::DBSubnetGroup")) {
      for (const subnetId of subnetGroup.Properties?.SubnetIds ?? []) expect(mentions(subnetId, "dataSubnet")).toBe(true);
    }
  });
});

describe("Data: Redis", () => {
  test("is a Multi-AZ replication group with automatic failover, encrypted in transit and at rest", () => {
    const [, redis] = onlyResourceOfType(data, "AWS::ElastiCache::ReplicationGroup");
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
    const [, redis] = onlyResourceOfType(data, "AWS::ElastiCache::ReplicationGroup");
    const tokenSecret = resourcesOfType(data, "AWS::SecretsManager::Secret").find(([id]) => mentions(redis.Properties?.AuthToken, id));
    expect(tokenSecret).toBeDefined();
    expect(mentions(redis.Properties?.AuthToken, "{{resolve:secretsmanager:")).toBe(true);
    // ElastiCache refuses @, " and / in tokens.
    expect(tokenSecret![1].Properties?.GenerateSecretString).toMatchObject({ ExcludePunctuation: true });
  });

  test("lives in isolated subnets", () => {
    const [, subnetGroup] = onlyResourceOfType(data, "AWS::ElastiCache::SubnetGroup");
    const subnetIds: unknown[] = subnetGroup.Properties?.SubnetIds;
    expect(subnetIds.length).toBe(2);
    for (const subnetId of subnetIds) expect(mentions(subnetId, "dataSubnet")).toBe(true);
  });
});

describe("Data: network access", () => {
  test("admits only the functions' security group to MySQL and Redis", () => {
    const ingress = resourcesOfType(data, "AWS::EC2::SecurityGroupIngress").map(([, rule]) => rule.Properties ?? {});
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
    data.hasResourceProperties("AWS::DynamoDB::Table", {
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
    expect(resourcesOfType(data, "AWS::DynamoDB::Table")).toHaveLength(Object.keys(tables).length);
  });
});

describe("Data: migrations", () => {
  const migrationFunctions = () => {
    const [, script] = onlyResourceOfType(data, "Custom::SSTScript");
    const ids = [script.Properties?.UserCreateFunction, script.Properties?.UserUpdateFunction].map(referencedLogicalId);
    return ids.map((id) => {
      expect(id).toBeDefined();
      return data.toJSON().Resources[id!];
    });
  };

  test("re-run on deploy whenever anything under sql/ changes", () => {
    const [, script] = onlyResourceOfType(data, "Custom::SSTScript");
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
    const outputs = Object.keys(data.toJSON().Outputs ?? {});
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
    const groups = resourcesOfType(auth, "AWS::Cognito::UserPoolGroup").map(([, group]) => group.Properties?.GroupName);
    expect(groups.sort()).toEqual([...roles].sort());
  });

  test("demands strong passwords and enforces threat protection", () => {
    auth.hasResourceProperties("AWS::Cognito::UserPool", {
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
    const [, pool] = onlyResourceOfType(auth, "AWS::Cognito::UserPool");
    expect(pool.Properties?.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
  });

  test("has a public app client (no secret) signing in with SRP", () => {
    const [, client] = onlyResourceOfType(auth, "AWS::Cognito::UserPoolClient");
    expect(client.Properties?.GenerateSecret).toBe(false);
    expect(client.Properties?.ExplicitAuthFlows).toContain("ALLOW_USER_SRP_AUTH");
  });

  test("outputs the pool, the client (JWT audience) and the issuer", () => {
    const outputs = auth.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["UserPoolId", "UserPoolClientId", "IssuerUrl"]));
    expect(mentions(outputs.IssuerUrl.Value, `https://cognito-idp.${testRegion}.`)).toBe(true);
  });
});

describe("ReservationApi", () => {
  const declaredRoutes = Object.entries(reservationApi.routes);

  test("serves exactly the declared routes", async () => {
    const declaredKeys = Object.keys(reservationApi.routes).sort();
    expect(listHttpApiRouteKeys(api)).toEqual(declaredKeys);
    expect(await synthesizedHttpApiRouteKeys()).toEqual({ [reservationApi.name]: declaredKeys });
  });

  test("checks tokens with a JWT authorizer: the Cognito issuer, the app client as audience", () => {
    const [, authorizer] = onlyResourceOfType(api, "AWS::ApiGatewayV2::Authorizer");
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: "JWT", IdentitySource: ["$request.header.Authorization"] });
    const { Audience, Issuer } = authorizer.Properties?.JwtConfiguration;
    expect(Audience).toHaveLength(1);
    expect(mentions(Audience, "UsersUserPoolClient")).toBe(true);
    expect(mentions(Issuer, "https://cognito-idp.")).toBe(true);
    expect(mentions(Issuer, "UsersUserPool")).toBe(true);
  });

  test.each(declaredRoutes)("guards %s as declared", (routeKey, route) => {
    const [authorizerId] = onlyResourceOfType(api, "AWS::ApiGatewayV2::Authorizer");
    const expected =
      route.auth === "jwt"
        ? { AuthorizationType: "JWT", AuthorizerId: { Ref: authorizerId } }
        : { AuthorizationType: "NONE", AuthorizerId: Match.absent() };
    api.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: routeKey, ...expected });
  });

  test.each(declaredRoutes)("runs %s on its declared handler", (routeKey, route) => {
    const [, cfnRoute] = resourcesOfType(api, "AWS::ApiGatewayV2::Route").find(([, r]) => r.Properties?.RouteKey === routeKey)!;
    const integrationId = String(cfnRoute.Properties?.Target["Fn::Join"][1][1].Ref);
    const functionId = referencedLogicalId(api.toJSON().Resources[integrationId].Properties.IntegrationUri);
    expect(api.toJSON().Resources[functionId!].Properties.Handler).toBe(route.handler);
  });

  test("answers CORS as declared", () => {
    api.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      CorsConfiguration: {
        AllowOrigins: [...cors.allowOrigins],
        AllowMethods: [...cors.allowMethods],
        AllowHeaders: [...cors.allowHeaders],
        ExposeHeaders: [...cors.exposeHeaders],
        MaxAge: cors.maxAgeSeconds,
        AllowCredentials: false,
      },
    });
  });

  test("writes access logs to a log group that expires", () => {
    const [logGroupId, logGroup] = onlyResourceOfType(api, "AWS::Logs::LogGroup");
    expect(logGroup.Properties?.RetentionInDays).toBeGreaterThan(0);
    api.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      AccessLogSettings: { DestinationArn: { "Fn::GetAtt": [logGroupId, "Arn"] }, Format: Match.stringLikeRegexp("requestId") },
    });
  });

  test("gives every route function the VPC placement and the environment of the contracts", () => {
    const routeFunctions = resourcesOfType(api, "AWS::Lambda::Function").filter(([, fn]) =>
      String(fn.Properties?.Handler).startsWith("packages/"),
    );
    expect(routeFunctions).toHaveLength(declaredRoutes.length);
    for (const [, fn] of routeFunctions) {
      expect(mentions(fn.Properties?.VpcConfig.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
      const variables = fn.Properties?.Environment.Variables;
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining([
          "HAUL_MYSQL_HOST",
          "HAUL_MYSQL_REPLICA_HOST",
          "HAUL_MYSQL_PORT",
          "HAUL_MYSQL_DATABASE",
          "HAUL_MYSQL_SECRET_ARN",
          "HAUL_REDIS_URL",
          "HAUL_REDIS_AUTH_SECRET_ARN",
          ...Object.values(tables).map(tableNameVariable),
        ]),
      );
      expect(variables.HAUL_MYSQL_PORT).toBe(String(mysqlPort));
      expect(variables.HAUL_REDIS_URL["Fn::Join"][1][0]).toBe("rediss://");
    }
  });

  test("grants route functions reads of the secrets and read-write on the tables, nothing broader", () => {
    for (const [, policy] of resourcesOfType(api, "AWS::IAM::Policy")) {
      const statements: Array<{ Action: string | string[]; Resource: unknown }> = policy.Properties?.PolicyDocument.Statement;
      const actions = statements.flatMap((statement) => statement.Action);
      expect(actions.filter((action) => action.endsWith("*"))).toEqual([]);
      const secretReads = statements.filter((statement) => [statement.Action].flat().includes("secretsmanager:GetSecretValue"));
      for (const secret of ["MysqlPrimarySecret", "MysqlReaderSecret", "RedisAuthToken"]) {
        expect(secretReads.some((statement) => mentions(statement.Resource, secret))).toBe(true);
      }
      for (const table of Object.values(tables)) {
        const tableWrites = statements.filter(
          (statement) => [statement.Action].flat().includes("dynamodb:PutItem") && mentions(statement.Resource, `${table.name}Table`),
        );
        expect(tableWrites).toHaveLength(1);
      }
      const wildcardResources = statements.filter((statement) => statement.Resource === "*");
      expect(wildcardResources.flatMap((statement) => statement.Action).sort()).toEqual(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    }
  });

  test("outputs its URL", () => {
    expect(Object.keys(api.toJSON().Outputs)).toContain(`${reservationApi.name}Url`);
  });
});

describe("the whole app", () => {
  test("runs every function on nodejs22.x (the runtime the L1 suppression vouches for)", () => {
    for (const template of synthesized.templates().values()) {
      for (const [, fn] of resourcesOfType(template, "AWS::Lambda::Function")) expect(fn.Properties?.Runtime).toBe("nodejs22.x");
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
    for (const [, db] of resourcesOfType(data, "AWS::RDS::DBInstance")) expect(db.Properties?.DeletionProtection).toBe(false);
    for (const [, table] of resourcesOfType(data, "AWS::DynamoDB::Table")) expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
    auth.hasResourceProperties("AWS::Cognito::UserPool", { DeletionProtection: "INACTIVE" });
  });

  test("names stacks <stage>-haul-<Stack>, as the outputs file expects", () => {
    expect([...synthesized.templates().keys()].sort()).toEqual(
      ["test-haul-Auth", "test-haul-Data", "test-haul-Network", "test-haul-ReservationApi"],
    );
  });
});
