import { Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import * as firehose from "aws-cdk-lib/aws-kinesisfirehose";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import { NagSuppressions } from "cdk-nag";
import { Cron, use, type StackContext } from "sst/constructs";
import {
  declaredFunctionName,
  driverPositions,
  scheduledFunctions,
  trackingApi,
  type ScheduledFunctionDeclaration,
} from "../packages/functions/src/declarations.js";
import { Data } from "./Data.js";
import { functionAccess, type FunctionAccessSources } from "./function-access.js";
import { LiveApi } from "./LiveApi.js";
import { subscribeFunctionLogs } from "./log-subscriptions.js";
import { suppressFunctionRoleFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { Observability } from "./Observability.js";
import { Search, searchPort } from "./Search.js";
import { domainIndexPrefix, positionsDeliverySearchUser } from "./search-access.js";
import { createServiceHttpApi } from "./service-http-api.js";
import { retentionDays, stageProfile } from "./stage-profile.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

/**
 * The tracking service: drivers' GPS fixes from POST /positions into a Kinesis stream, a Firehose
 * delivery stream from it into the `driver-positions` index family of the OpenSearch domain (in
 * the VPC), the readers of trails and of the fleet, and the one-minute push of the latest
 * positions to the customers watching over the LiveApi (a scheduled function per declaration).
 *
 * Firehose's role reads the stream, writes failed documents to the backup bucket and
 * its own logs, manages its network interfaces in the VPC, and reaches the domain; inside the
 * domain it is mapped to an OpenSearch role that may write and create the family's indices
 * (stacks/search-access.ts, positionsDeliverySearchUser), as functions are.
 */
export function Tracking(context: StackContext) {
  const { stack, app } = context;
  const profile = stageProfile(app.stage);
  const network = use(Network);
  const search = use(Search);

  const { stream, grantPutRecords } = createPositionsStream(stack, app.logicalPrefixedName(driverPositions.streamName));
  const positionsStream: NonNullable<FunctionAccessSources["positionsStream"]> = { streamName: stream.streamName, grantPutRecords };

  const { refiner } = use(Observability);
  const { api } = createServiceHttpApi(context, trackingApi, { positionsStream, logRefiner: refiner });

  const delivery = createPositionsDelivery(stack, {
    name: app.logicalPrefixedName(driverPositions.deliveryStreamName),
    roleName: search.mappedRoleName(positionsDeliverySearchUser.name),
    stream,
    network,
    search,
    logRetention: retentionDays(profile.logRetention),
  });

  // Deliveries that fail end up in the backup bucket: someone must look, and replay them.
  const deliveryFailures = new cloudwatch.Alarm(stack, "DriverPositionsDeliveryFailures", {
    alarmName: app.logicalPrefixedName("DriverPositionsDeliveryFailures"),
    alarmDescription:
      `Firehose could not index some driver positions into OpenSearch (${delivery.deliveryStreamName}); ` +
      `they are in s3://${delivery.bucket.bucketName}/failed/. Read the delivery stream's error logs, fix, then replay them.`,
    metric: new cloudwatch.Metric({
      namespace: "AWS/Firehose",
      // The share of the records attempted that were indexed: below 1 as soon as one fails for good.
      metricName: "DeliveryToAmazonOpenSearchService.Success",
      dimensionsMap: { DeliveryStreamName: delivery.deliveryStreamName },
      statistic: cloudwatch.Stats.MINIMUM,
      period: Duration.minutes(5),
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // No data point while nothing is delivered: nothing failed.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  const access = functionAccess({ network, data: use(Data), search, liveApi: use(LiveApi), positionsStream });
  const crons = scheduledFunctions.filter((declaration) => declaration.service === "tracking").map((declaration: ScheduledFunctionDeclaration) => {
    const props = access.props(declaration.uses);
    const cron = new Cron(stack, declaration.name, {
      schedule: declaration.schedule,
      job: {
        function: {
          ...props,
          handler: declaration.handler,
          timeout: declaration.timeoutSeconds,
          environment: { ...powertoolsEnvironment(declaration.service), ...props.environment },
        },
      },
    });
    access.grant(cron.jobFunction, declaration.uses, declaredFunctionName(declaration.name, "schedule"));
    return cron;
  });

  stack.addOutputs({
    DriverPositionsStreamName: stream.streamName,
    DriverPositionsDeliveryStreamName: delivery.deliveryStreamName,
    DriverPositionsBackupBucketName: delivery.bucket.bucketName,
    DriverPositionsDeliveryAlarmName: deliveryFailures.alarmName,
  });

  subscribeFunctionLogs(crons.map((cron) => cron.jobFunction), refiner);
  suppressFunctionRoleFindings(crons.map((cron) => cron.jobFunction));

  return { api, stream, deliveryStream: delivery.deliveryStream, backupBucket: delivery.bucket, deliveryFailures, crons };
}

/** The stream, encrypted with Kinesis's AWS managed key, and what a producer needs of it. */
function createPositionsStream(stack: Stack, streamName: string) {
  const stream = new kinesis.Stream(stack, driverPositions.streamName, {
    streamName,
    streamMode: kinesis.StreamMode.PROVISIONED,
    shardCount: driverPositions.shardCount,
    retentionPeriod: Duration.hours(driverPositions.retentionHours),
    // `aws/kinesis`: producers and Firehose need no KMS permission of their own, and no key to pay for (cdk-nag KDS3).
    encryption: kinesis.StreamEncryption.MANAGED,
  });
  /** PutRecords alone; not CDK's grantWrite, which adds PutRecord and ListShards. */
  const grantPutRecords = (grantee: iam.IGrantable) => {
    iam.Grant.addToPrincipal({ grantee, actions: ["kinesis:PutRecords"], resourceArns: [stream.streamArn] });
  };
  return { stream, grantPutRecords };
}

interface PositionsDeliveryOptions {
  readonly name: string;
  /** Fixed, so the Search stack's set-up can map it in OpenSearch before it exists. */
  readonly roleName: string;
  readonly stream: kinesis.Stream;
  readonly network: ReturnType<typeof Network>;
  readonly search: ReturnType<typeof Search>;
  readonly logRetention: logs.RetentionDays;
}

/** The Firehose delivery stream from the stream into the domain, its role, network, logs and backup bucket. */
function createPositionsDelivery(stack: Stack, options: PositionsDeliveryOptions) {
  const { stream, network, search } = options;

  const bucket = new s3.Bucket(stack, "DriverPositionsBackup", {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });

  const logGroup = new logs.LogGroup(stack, "DriverPositionsDeliveryLogs", { retention: options.logRetention });
  const destinationLogs = new logs.LogStream(stack, "DriverPositionsDeliveryDestinationLogs", { logGroup, logStreamName: "DestinationDelivery" });
  const backupLogs = new logs.LogStream(stack, "DriverPositionsDeliveryBackupLogs", { logGroup, logStreamName: "BackupDelivery" });

  // Firehose's network interfaces reach the domain on HTTPS, and nothing else.
  const securityGroup = new ec2.SecurityGroup(stack, "DriverPositionsDeliverySecurityGroup", {
    vpc: network.vpc,
    description: "Firehose delivery of driver positions; reaches the OpenSearch domain on HTTPS only",
    allowAllOutbound: false,
  });
  securityGroup.connections.allowTo(search.securityGroup, ec2.Port.tcp(searchPort), "HTTPS to the OpenSearch domain");

  const role = new iam.Role(stack, "DriverPositionsDeliveryRole", {
    roleName: options.roleName,
    assumedBy: new iam.ServicePrincipal("firehose.amazonaws.com", {
      // Only this account's delivery streams may take the role (no confused deputy).
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
    description: "Firehose: reads the driver-positions stream and indexes it into OpenSearch",
  });
  const statements = [
    // The source: what Firehose's Kinesis reader calls, on this stream.
    new iam.PolicyStatement({
      actions: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"],
      resources: [stream.streamArn],
    }),
    // The backup: documents it could not index.
    new iam.PolicyStatement({
      actions: ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"],
      resources: [bucket.bucketArn, bucket.arnForObjects("*")],
    }),
    // The destination: the domain's description, and its HTTP API (fine-grained access control decides inside).
    new iam.PolicyStatement({
      actions: ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"],
      resources: [search.domain.domainArn],
    }),
    new iam.PolicyStatement({
      actions: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"],
      resources: [search.domain.domainArn, `${search.domain.domainArn}/*`],
    }),
    // Its network interfaces in the VPC (the permissions AWS documents for a VPC destination).
    new iam.PolicyStatement({
      actions: [
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkInterfaces",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
      ],
      resources: ["*"],
    }),
    new iam.PolicyStatement({ actions: ["logs:PutLogEvents"], resources: [logGroup.logGroupArn] }),
  ];
  for (const statement of statements) role.addToPrincipalPolicy(statement);

  const deliveryStream = new firehose.CfnDeliveryStream(stack, driverPositions.deliveryStreamName, {
    deliveryStreamName: options.name,
    deliveryStreamType: "KinesisStreamAsSource",
    kinesisStreamSourceConfiguration: { kinesisStreamArn: stream.streamArn, roleArn: role.roleArn },
    amazonopensearchserviceDestinationConfiguration: {
      domainArn: search.domain.domainArn,
      roleArn: role.roleArn,
      indexName: `${domainIndexPrefix}${driverPositions.indexFamily}`,
      indexRotationPeriod: driverPositions.indexRotation,
      // Firehose's ids are replaced anyway: the family's default pipeline sets `<driverId>:<recordedAt>`.
      documentIdOptions: { defaultDocumentIdFormat: "FIREHOSE_DEFAULT" },
      bufferingHints: { sizeInMBs: driverPositions.bufferingSizeMb, intervalInSeconds: driverPositions.bufferingIntervalSeconds },
      retryOptions: { durationInSeconds: driverPositions.retryDurationSeconds },
      s3BackupMode: driverPositions.backupMode,
      s3Configuration: {
        bucketArn: bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: "failed/",
        errorOutputPrefix: "errors/",
        compressionFormat: "GZIP",
        cloudWatchLoggingOptions: { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: backupLogs.logStreamName },
      },
      cloudWatchLoggingOptions: { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: destinationLogs.logStreamName },
      vpcConfiguration: {
        roleArn: role.roleArn,
        subnetIds: network.vpc.selectSubnets(network.functionSubnets).subnetIds,
        securityGroupIds: [securityGroup.securityGroupId],
      },
    },
  });
  // Firehose checks its role's permissions when the stream is created: the policy must be there first.
  deliveryStream.node.addDependency(role);

  suppressDeliveryFindings({ deliveryStream, role, bucket });

  return { deliveryStream, deliveryStreamName: options.name, role, bucket };
}

function suppressDeliveryFindings(resources: { deliveryStream: firehose.CfnDeliveryStream; role: iam.Role; bucket: s3.Bucket }): void {
  NagSuppressions.addResourceSuppressions(
    resources.role,
    [
      {
        id: "AwsSolutions-IAM5",
        reason:
          "Firehose's documented VPC-destination permissions: it creates and deletes its own network interfaces, whose ids do not exist beforehand, and the ec2 Describe calls have no resource-level permissions. Objects of the backup bucket (`<bucket>/*`) and paths of Haul's own OpenSearch domain (`<domain>/*`; fine-grained access control limits it to the driver-positions indices).",
        appliesTo: ["Resource::*", { regex: "/^Resource::<DriverPositionsBackup[0-9A-F]+\\.Arn>\\/\\*$/" }, { regex: "/^Resource::<SearchDomain[0-9A-F]+\\.Arn>\\/\\*$/" }],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(resources.deliveryStream, [
    {
      id: "AwsSolutions-KDF1",
      reason:
        "A delivery stream whose source is a Kinesis stream takes no server-side encryption of its own (Firehose refuses DeliveryStreamEncryptionConfigurationInput with KinesisStreamAsSource); the records are encrypted at rest in the source stream (KMS, Kinesis's AWS managed key), and Firehose delivers to the domain over HTTPS.",
    },
  ]);
  NagSuppressions.addResourceSuppressions(resources.bucket, [
    {
      id: "AwsSolutions-S1",
      reason:
        "The bucket holds only documents Firehose failed to index; its one writer is Firehose's role and nothing is public (public access blocked, SSL enforced). Access logs would need a bucket of their own for a bucket nobody reads until the delivery alarm goes off.",
    },
  ]);
}
