import { RemovalPolicy, type Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as opensearch from "aws-cdk-lib/aws-opensearchservice";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";
import path from "node:path";
import { Function as SstFunction, Script, use, type StackContext } from "sst/constructs";
import { useProject } from "sst/project.js";
import { hashDirectory } from "./hash-directory.js";
import { lambdaBasicExecutionPolicy, suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { boundedName, declaredSearchGrants } from "./search-access.js";
import { retentionDays, stageProfile, type StageProfile } from "./stage-profile.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

const setUpHandler = "packages/functions/src/search/set-up-search.handler";
/** Copied next to the set-up handler, and hashed so the set-up re-runs when a family changes. */
const familiesDirectory = "search/index-families";
/** The domain answers HTTPS only (enforceHttps), on the standard port. */
export const searchPort = 443;

/**
 * The OpenSearch Service domain (driver messages, positions, logs): inside the VPC's isolated
 * subnets in both zones, encrypted at rest and between nodes, HTTPS with TLS 1.2+ only, and
 * fine-grained access control whose master is the role of the deploy step that sets it up.
 *
 * Access takes two keys. IAM: a function that uses `search` gets `es:ESHttp*` on this domain and
 * nothing wider (the domain's own policy lets the account's principals in, so IAM alone decides
 * who reaches it). Inside: the deploy step maps that function's role to an OpenSearch role with
 * exactly its declared access, so reaching the domain grants nothing by itself. How the roles of
 * functions in later stacks get mapped here without a cycle: stacks/search-access.ts.
 */
export function Search({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  const network = use(Network);
  // Fixed, so the domain's access and log policies can name its ARN without referring to it.
  const domainName = boundedName(app.logicalPrefixedName("search").toLowerCase(), 28);
  const domainArn = stack.formatArn({ service: "es", resource: "domain", resourceName: domainName });

  const securityGroup = new ec2.SecurityGroup(stack, "SearchSecurityGroup", {
    vpc: network.vpc,
    description: "OpenSearch domain; admits Haul functions on HTTPS only",
    allowAllOutbound: false,
  });
  securityGroup.addIngressRule(network.functionSecurityGroup, ec2.Port.tcp(searchPort), "HTTPS from Haul functions");

  // The deploy step's function, created before the domain: its role is the domain's master user.
  const setUp = new SstFunction(stack, "SearchSetUp", {
    handler: setUpHandler,
    vpc: network.vpc,
    vpcSubnets: network.functionSubnets,
    securityGroups: [network.functionSecurityGroup],
    copyFiles: [{ from: familiesDirectory, to: familiesDirectory }],
    timeout: "5 minutes",
    // A Script's function runs on deploy, never under `sst dev`'s live debugging.
    enableLiveDev: false,
  });
  const masterRole = setUp.role;
  if (!masterRole) throw new Error("The search set-up function has no role");

  const logGroups = createLogGroups(stack, domainName, profile);
  // CloudWatch Logs' own resource, instead of the custom resource (a Lambda function) CDK would add for it.
  const logsPolicy = new logs.ResourcePolicy(stack, "SearchLogsPolicy", {
    resourcePolicyName: `${domainName}-logs`,
    policyStatements: [
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal("es.amazonaws.com")],
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: Object.values(logGroups).map((group) => group.logGroupArn),
        // Only this domain's deliveries (no confused deputy).
        conditions: { StringEquals: { "aws:SourceAccount": stack.account }, ArnLike: { "aws:SourceArn": domainArn } },
      }),
    ],
  });

  const domain = new opensearch.Domain(stack, "SearchDomain", {
    domainName,
    version: opensearch.EngineVersion.OPENSEARCH_2_19,
    // A newer version upgrades the domain in place instead of replacing it (and its data).
    enableVersionUpgrade: true,
    enableAutoSoftwareUpdate: true,
    offPeakWindowEnabled: true,
    vpc: network.vpc,
    vpcSubnets: [network.dataSubnets],
    securityGroups: [securityGroup],
    zoneAwareness: { enabled: true, availabilityZoneCount: 2 },
    capacity: {
      dataNodes: profile.search.dataNodes,
      dataNodeInstanceType: profile.search.dataNodeInstanceType,
      masterNodes: profile.search.masterNodes,
      masterNodeInstanceType: profile.search.masterNodeInstanceType,
      // Standby needs three zones; this VPC has two.
      multiAzWithStandbyEnabled: false,
    },
    ebs: { enabled: true, volumeType: ec2.EbsDeviceVolumeType.GP3, volumeSize: profile.search.volumeGiB },
    encryptionAtRest: { enabled: true },
    nodeToNodeEncryption: true,
    enforceHttps: true,
    // The strongest policy CDK offers: TLS 1.2 and 1.3, forward-secret ciphers only.
    tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2_PFS,
    fineGrainedAccessControl: { masterUserArn: masterRole.roleArn },
    logging: {
      appLogEnabled: true,
      appLogGroup: logGroups.application,
      slowSearchLogEnabled: true,
      slowSearchLogGroup: logGroups.slowSearch,
      slowIndexLogEnabled: true,
      slowIndexLogGroup: logGroups.slowIndex,
    },
    suppressLogsResourcePolicy: true,
    removalPolicy: profile.removalPolicy === "retain" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  domain.node.addDependency(logsPolicy);
  // Set on the domain itself, not through CDK's accessPolicies (a custom resource, a Lambda function):
  // principals of this account, signing with SigV4; their IAM policies then decide, and FGAC inside.
  (domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: ["es:ESHttp*"],
        resources: [`${domainArn}/*`],
      }),
    ],
  }).toJSON();

  /** What points a function at the domain (function-access's `search` use). No index prefix: a domain per stage. */
  const environment = { HAUL_OPENSEARCH_URL: `https://${domain.domainEndpoint}`, HAUL_OPENSEARCH_AUTH: "aws-sigv4" };

  for (const [name, value] of Object.entries(powertoolsEnvironment("search"))) setUp.addEnvironment(name, value);
  for (const [name, value] of Object.entries(environment)) setUp.addEnvironment(name, value);
  // The master needs IAM's key too: the domain's policy leaves the decision to each principal's IAM policy.
  domain.grantReadWrite(setUp);

  const declared = declaredSearchGrants(stack, app);
  const setUpScript = new Script(stack, "SearchSetUpScript", {
    onCreate: setUp,
    onUpdate: setUp,
    // Re-runs when a family file changes; and when the params do: a grant changed, or the domain
    // was replaced (a new endpoint), since a new domain starts with no templates and no roles.
    version: hashDirectory(path.join(useProject().paths.root, familiesDirectory)),
    params: { domainEndpoint: domain.domainEndpoint, grants: declared.map((entry) => entry.grant) },
  });

  const roleNames = new Map(declared.map((entry) => [entry.declaredName, entry.iamRoleName]));
  /**
   * Gives the function declared as `declaredName` (declaredFunctionName) its part of the domain:
   * its role gets the fixed name the set-up maps to its OpenSearch role, and es:ESHttp* on this
   * domain. Called from the function's own stack.
   */
  function grantAccess(fn: iam.IGrantable, declaredName?: string): void {
    if (declaredName === undefined) throw new Error("OpenSearch access is granted by a function's declared name (declaredFunctionName): pass it");
    const roleName = roleNames.get(declaredName);
    if (!roleName) throw new Error(`${declaredName} is given OpenSearch access, but its declaration has no \`search\` access to map`);
    if (!(fn instanceof SstFunction)) throw new Error(`${declaredName}: OpenSearch access is for SST functions, whose role can be named`);
    const role = fn.role?.node.defaultChild;
    if (!(role instanceof iam.CfnRole)) throw new Error(`${declaredName}: its function has no role of its own to name`);
    role.roleName = roleName;
    // Exactly the six ESHttp actions (Get, Head, Post, Put, Patch, Delete: es:ESHttp* spelled out) on
    // the domain and its paths; no es:* (configuration) and no other domain.
    domain.grantReadWrite(fn);
    suppressDomainPathFinding(fn);
  }

  /** The IAM role name the set-up maps to `declaredName`'s OpenSearch role, for a role built elsewhere (Firehose's). */
  function mappedRoleName(declaredName: string): string {
    const roleName = roleNames.get(declaredName);
    if (!roleName) throw new Error(`${declaredName} has no OpenSearch access to map`);
    return roleName;
  }

  stack.addOutputs({
    SearchDomainName: domainName,
    SearchUrl: environment.HAUL_OPENSEARCH_URL,
  });

  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings([setUp]);
  suppressDomainPathFinding(setUp);
  suppressSearchFindings(profile, { domain, setUpRunner: setUpScript.node.findChild("ScriptHandler") });

  return { domain, securityGroup, environment, masterRole, setUp, grantAccess, mappedRoleName };
}

function createLogGroups(stack: Stack, domainName: string, profile: StageProfile) {
  const create = (id: string, kind: string) =>
    new logs.LogGroup(stack, id, {
      // Where the console looks for a domain's logs.
      logGroupName: `/aws/OpenSearchService/domains/${domainName}/${kind}`,
      retention: retentionDays(profile.logRetention),
    });
  return {
    application: create("SearchApplicationLogs", "application-logs"),
    slowSearch: create("SearchSlowSearchLogs", "search-slow-logs"),
    slowIndex: create("SearchSlowIndexLogs", "index-slow-logs"),
  };
}

/** `grantReadWrite` names the domain and its paths: every ESHttp action, on this domain only. */
function suppressDomainPathFinding(fn: SstFunction): void {
  NagSuppressions.addResourceSuppressions(
    fn,
    [
      {
        id: "AwsSolutions-IAM5",
        reason:
          "`<domain ARN>/*` is every path of Haul's own OpenSearch domain (indices, _cluster/health...); IAM only lets the function reach the domain, and fine-grained access control limits it to its declared OpenSearch role (stacks/search-access.ts).",
        appliesTo: [{ regex: "/^Resource::<SearchDomain[0-9A-F]+\\.Arn>\\/\\*$/" }],
      },
    ],
    true,
  );
}

function suppressSearchFindings(profile: StageProfile, resources: { domain: opensearch.Domain; setUpRunner: IConstruct }): void {
  NagSuppressions.addResourceSuppressions(
    resources.setUpRunner,
    [
      {
        id: "AwsSolutions-IAM4",
        reason: "SST's Script runner only invokes the search set-up function and writes its logs; the AWS managed basic execution policy grants exactly the logging.",
        appliesTo: [lambdaBasicExecutionPolicy],
      },
      {
        id: "AwsSolutions-IAM5",
        reason: "grantInvoke adds `<function ARN>:*` so the runner may call any version of the search set-up function, and nothing else.",
        appliesTo: [{ regex: "/^Resource::<SearchSetUp[0-9A-F]+\\.Arn>:\\*$/" }],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(resources.domain, [
    {
      id: "AwsSolutions-OS3",
      reason:
        "A VPC domain cannot take IP-based access policies (AWS: security groups enforce them); its security group admits only Haul functions' group, on 443, and the policy admits only this account's signed principals.",
    },
  ]);
  if (profile.search.masterNodes === 0) {
    NagSuppressions.addResourceSuppressions(resources.domain, [
      {
        id: "AwsSolutions-OS4",
        reason: "Only production pays for three dedicated master nodes (stacks/stage-profile.ts); other stages are disposable and run two small data nodes.",
      },
    ]);
  }
}
