import { Duration } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elasticache from "aws-cdk-lib/aws-elasticache";
import * as rds from "aws-cdk-lib/aws-rds";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";
import path from "node:path";
import { Script, Table, use, type Stack, type StackContext } from "sst/constructs";
import { useProject } from "sst/project.js";
import { tableNameVariable, tables, type TableDeclaration } from "../packages/functions/src/declarations.js";
import { hashDirectory } from "./hash-directory.js";
import { Network } from "./Network.js";
import { lambdaBasicExecutionPolicy, suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { stageProfile, type StageProfile } from "./stage-profile.js";

export const databaseName = "haul";
export const readerUserName = "haul_reader";
/**
 * Non-default ports (cdk-nag RDS11, AEC5). They cost nothing, since every client is told the
 * port (HAUL_MYSQL_PORT, HAUL_REDIS_URL), and they take the stores off untargeted scans.
 */
export const mysqlPort = 3406;
export const redisPort = 6380;

const migrationsHandler = "packages/functions/src/migrations/run-migrations.handler";
/** Copied next to the migrations handler, and hashed so the script re-runs when it changes. */
const sqlDirectory = "sql";

type TableKey = keyof typeof tables;

export function Data({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  const network = use(Network);

  const mysql = createMysql(stack, network, profile);
  const redis = createRedis(stack, network);
  const dynamoTables = createTables(stack, profile);

  const mysqlServer = {
    // Its presence is what selects the cloud settings over local URLs (packages/core/src/db/connection-config.ts).
    HAUL_MYSQL_HOST: mysql.primary.dbInstanceEndpointAddress,
    HAUL_MYSQL_PORT: String(mysqlPort),
    HAUL_MYSQL_DATABASE: databaseName,
  };
  /** The variables that point a function at each store, by what it uses (stacks/function-access.ts). */
  const environment = {
    primary: { ...mysqlServer, HAUL_MYSQL_SECRET_ARN: mysql.adminSecret.secretArn },
    // The primary as the read-only user haul_reader: no admin secret in sight.
    primaryReadOnly: { ...mysqlServer, HAUL_MYSQL_READER_SECRET_ARN: mysql.readerSecret.secretArn },
    // Replica connections log in as the read-only user.
    replica: {
      ...mysqlServer,
      HAUL_MYSQL_REPLICA_HOST: mysql.replica.dbInstanceEndpointAddress,
      HAUL_MYSQL_READER_SECRET_ARN: mysql.readerSecret.secretArn,
    },
    redis: {
      HAUL_REDIS_URL: redis.url,
      HAUL_REDIS_AUTH_SECRET_ARN: redis.authTokenSecret.secretArn,
    },
    tables: Object.fromEntries(
      (Object.keys(dynamoTables) as TableKey[]).map((key) => [key, { [tableNameVariable(tables[key])]: dynamoTables[key].tableName }]),
    ) as Record<TableKey, Record<string, string>>,
  };

  const migrations = new Script(stack, "Migrations", {
    version: hashDirectory(path.join(useProject().paths.root, sqlDirectory)),
    defaults: {
      function: {
        vpc: network.vpc,
        vpcSubnets: network.functionSubnets,
        securityGroups: [network.functionSecurityGroup],
        copyFiles: [{ from: sqlDirectory, to: sqlDirectory }],
        timeout: "5 minutes",
        // The admin secret to migrate, the reader's to set haul_reader's password.
        environment: { ...environment.primary, ...environment.replica },
      },
    },
    onCreate: migrationsHandler,
    onUpdate: migrationsHandler,
  });
  const migrationFunctions = [migrations.createFunction, migrations.updateFunction].filter((fn) => fn !== undefined);
  for (const fn of migrationFunctions) {
    mysql.adminSecret.grantRead(fn);
    mysql.readerSecret.grantRead(fn);
  }

  stack.addOutputs({
    MysqlPrimaryHost: mysql.primary.dbInstanceEndpointAddress,
    MysqlReplicaHost: mysql.replica.dbInstanceEndpointAddress,
    MysqlPort: String(mysqlPort),
    MysqlDatabase: databaseName,
    MysqlSecretArn: mysql.adminSecret.secretArn,
    MysqlReaderSecretArn: mysql.readerSecret.secretArn,
    RedisUrl: redis.url,
    RedisAuthSecretArn: redis.authTokenSecret.secretArn,
    ...Object.fromEntries(
      (Object.keys(dynamoTables) as TableKey[]).map((key) => [`${tables[key].name}TableName`, dynamoTables[key].tableName]),
    ),
  });

  suppressDataFindings(stack, profile, {
    mysql,
    redis,
    migrations: migrationFunctions,
    migrationRunner: migrations.node.findChild("ScriptHandler"),
  });

  return { mysql, redis, tables: dynamoTables, environment };
}

type NetworkExports = ReturnType<typeof Network>;

function createMysql(stack: Stack, network: NetworkExports, profile: StageProfile) {
  const securityGroup = new ec2.SecurityGroup(stack, "MysqlSecurityGroup", {
    vpc: network.vpc,
    description: "MySQL primary and replica; admits Haul functions only",
    allowAllOutbound: false,
  });
  securityGroup.addIngressRule(network.functionSecurityGroup, ec2.Port.tcp(mysqlPort), "MySQL from Haul functions");
  const engine = rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_6 });
  // Clients verify the RDS CA (packages/core/src/db/connection-config.ts); refuse anyone who does not use TLS.
  const parameterGroup = new rds.ParameterGroup(stack, "MysqlParameters", {
    engine,
    description: "Haul MySQL: TLS only",
    parameters: { require_secure_transport: "ON" },
  });
  const instanceType = ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM);
  // Same placement and safety settings for primary and replica, so a promoted replica is no weaker.
  const placement = {
    instanceType,
    vpc: network.vpc,
    vpcSubnets: network.dataSubnets,
    securityGroups: [securityGroup],
    port: mysqlPort,
    storageType: rds.StorageType.GP3,
    parameterGroup,
    multiAz: profile.multiAz,
    deletionProtection: profile.deletionProtection,
    autoMinorVersionUpgrade: true,
    caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
  };

  const primary = new rds.DatabaseInstance(stack, "MysqlPrimary", {
    ...placement,
    engine,
    databaseName,
    credentials: rds.Credentials.fromGeneratedSecret("haul_admin"),
    storageEncrypted: true,
    allocatedStorage: 20,
    maxAllocatedStorage: 200,
    backupRetention: Duration.days(profile.backupRetentionDays),
  });
  const adminSecret = primary.secret;
  if (!adminSecret) throw new Error("The MySQL primary has no generated secret");
  // Rotation runs where it can reach both the database and the Secrets Manager API.
  primary.addRotationSingleUser({ automaticallyAfter: Duration.days(30), vpcSubnets: network.functionSubnets });

  // Encryption is inherited from the primary: CloudFormation says not to set it on a replica.
  const replica = new rds.DatabaseInstanceReadReplica(stack, "MysqlReplica", {
    ...placement,
    sourceDatabaseInstance: primary,
  });

  const readerSecret = new secretsmanager.Secret(stack, "MysqlReaderSecret", {
    description: `Credentials of the read-only MySQL user ${readerUserName}; migrations apply the password on deploy`,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ username: readerUserName }),
      generateStringKey: "password",
      excludePunctuation: true,
      passwordLength: 32,
    },
  });

  return { primary, replica, adminSecret, readerSecret };
}

function createRedis(stack: Stack, network: NetworkExports) {
  const securityGroup = new ec2.SecurityGroup(stack, "RedisSecurityGroup", {
    vpc: network.vpc,
    description: "ElastiCache Redis; admits Haul functions only",
    allowAllOutbound: false,
  });
  securityGroup.addIngressRule(network.functionSecurityGroup, ec2.Port.tcp(redisPort), "Redis from Haul functions");

  // ElastiCache accepts 16-128 printable characters without @, " or /: letters and digits only.
  const authTokenSecret = new secretsmanager.Secret(stack, "RedisAuthToken", {
    description: "AUTH token of the Haul Redis replication group (plain string)",
    generateSecretString: { excludePunctuation: true, passwordLength: 64 },
  });

  const subnetGroup = new elasticache.CfnSubnetGroup(stack, "RedisSubnetGroup", {
    description: "Isolated subnets of the Haul Redis replication group",
    subnetIds: network.vpc.selectSubnets(network.dataSubnets).subnetIds,
  });

  const replicationGroup = new elasticache.CfnReplicationGroup(stack, "Redis", {
    replicationGroupDescription: "Haul query cache",
    engine: "redis",
    engineVersion: "7.1",
    cacheNodeType: "cache.t4g.small",
    // A primary and a replica in different zones: the least that automatic failover accepts.
    numCacheClusters: 2,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    transitEncryptionEnabled: true,
    atRestEncryptionEnabled: true,
    authToken: authTokenSecret.secretValue.unsafeUnwrap(),
    port: redisPort,
    cacheSubnetGroupName: subnetGroup.ref,
    securityGroupIds: [securityGroup.securityGroupId],
  });

  const url = `rediss://${replicationGroup.attrPrimaryEndPointAddress}:${replicationGroup.attrPrimaryEndPointPort}`;
  return { replicationGroup, authTokenSecret, url };
}

function createTables(stack: Stack, profile: StageProfile): Record<TableKey, Table> {
  const create = (declaration: TableDeclaration) => {
    const indexes = Object.values(declaration.indexes ?? {});
    // Every key, the indexes' included, is a string (ids); other attributes need no declaring.
    const keyFields = [declaration.partitionKey, declaration.sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])];
    // The construct id is the declared name: SST names the table `<stage>-haul-<name>`, as the declaration says.
    return new Table(stack, declaration.name, {
      fields: Object.fromEntries(keyFields.filter((field) => field !== undefined).map((field) => [field, "string" as const])),
      primaryIndex: { partitionKey: declaration.partitionKey, sortKey: declaration.sortKey },
      // Every attribute projected (SST's default), as locally (packages/local/src/dynamodb/tables.ts).
      ...(declaration.indexes ? { globalIndexes: declaration.indexes } : {}),
      timeToLiveAttribute: declaration.timeToLiveAttribute,
      // SST turns point-in-time recovery on for every table it creates (asserted in stacks/test).
      cdk: { table: { deletionProtection: profile.deletionProtection } },
    });
  };
  // Every declared table, so that a new declaration cannot be left out.
  return Object.fromEntries((Object.keys(tables) as TableKey[]).map((key) => [key, create(tables[key])])) as Record<TableKey, Table>;
}

function suppressDataFindings(
  stack: Stack,
  profile: StageProfile,
  stores: {
    mysql: ReturnType<typeof createMysql>;
    redis: ReturnType<typeof createRedis>;
    migrations: readonly IConstruct[];
    /** SST's custom-resource function that calls the migration functions on deploy. */
    migrationRunner: IConstruct;
  },
): void {
  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings(stores.migrations);
  NagSuppressions.addResourceSuppressions(
    stores.migrationRunner,
    [
      {
        id: "AwsSolutions-IAM4",
        reason: "SST's Script runner only invokes the migration functions and writes its logs; the AWS managed basic execution policy grants exactly the logging.",
        appliesTo: [lambdaBasicExecutionPolicy],
      },
      {
        id: "AwsSolutions-IAM5",
        reason: "grantInvoke adds `<function ARN>:*` so the runner may call any version of the two migration functions, and nothing else.",
        appliesTo: [{ regex: "/^Resource::<Migrations.+Function[0-9A-F]+\\.Arn>:\\*$/" }],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(stores.mysql.replica, [
    {
      id: "AwsSolutions-RDS2",
      reason:
        "A same-region replica inherits the encryption of its encrypted primary; CloudFormation documents that StorageEncrypted must not be set with SourceDBInstanceIdentifier.",
    },
    {
      id: "AwsSolutions-RDS11",
      reason:
        "The replica listens on the same non-default port as the primary (set explicitly); the rule flags it only because a replica carries no Engine property.",
    },
  ]);
  NagSuppressions.addResourceSuppressions(stores.mysql.readerSecret, [
    {
      id: "AwsSolutions-SMG4",
      reason:
        "Migrations apply this password to haul_reader on deploy; Secrets Manager's rotation templates would rename the user (multi-user) or need the admin secret inside this one. Rotate by deploying after a new value is generated.",
    },
  ]);
  NagSuppressions.addResourceSuppressions(stores.redis.authTokenSecret, [
    {
      id: "AwsSolutions-SMG4",
      reason:
        "ElastiCache takes the AUTH token through ModifyReplicationGroup with a ROTATE/SET strategy, which no Secrets Manager rotation template performs; the token never leaves the VPC and transit is TLS-only.",
    },
  ]);
  if (!profile.multiAz) {
    NagSuppressions.addResourceSuppressions(
      [stores.mysql.primary, stores.mysql.replica],
      [
        {
          id: "AwsSolutions-RDS3",
          reason: "Only production pays for a Multi-AZ standby; other stages are disposable and the replica still serves reads.",
        },
      ],
    );
  }
  if (!profile.deletionProtection) {
    NagSuppressions.addResourceSuppressions(
      [stores.mysql.primary, stores.mysql.replica],
      [
        {
          id: "AwsSolutions-RDS10",
          reason: "Non-production stages must be removable with `sst remove`; production turns deletion protection on (stacks/stage-profile.ts).",
        },
      ],
    );
  }
}
