/**
 * The OpenSearch domain as a non-production stage (`test`) synthesizes it, the deploy step that sets
 * it up, and the access functions get to it: IAM to reach it (es:ESHttp* on it, nothing wider), and
 * the fine-grained access control mapping the set-up applies. Production's sizing and retention:
 * production.test.ts.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { declaredFunctionName, declaredFunctions, reservationApi, searchUsers } from "../../packages/functions/src/declarations.js";
import { hashDirectory } from "../hash-directory.js";
import { Network } from "../Network.js";
import { ReservationApi } from "../ReservationApi.js";
import { Search } from "../Search.js";
import { positionsDeliverySearchUser, searchRoleName, searchUserRoleName } from "../search-access.js";
import { synthesizeBeforeAll, testAccount, testRegion } from "./support/synth-app.js";
import {
  functionByHandler,
  importOf,
  mentions,
  onlyResourceOfType,
  referencedLogicalId,
  resourcesOfType,
  rolePolicyStatements,
  type PolicyStatement,
  type SynthesizedResource,
} from "./support/template-queries.js";

const setUpHandler = "packages/functions/src/search/set-up-search.handler";
const healthRoute = reservationApi.routes["GET /health"];
const esHttpActions = ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPatch", "es:ESHttpPost", "es:ESHttpPut"];

const synthesized = synthesizeBeforeAll({ search: Search, network: Network, api: ReservationApi });

const domain = () => onlyResourceOfType(synthesized.search, "AWS::OpenSearchService::Domain");
const setUpFunction = () => functionByHandler(synthesized.search, setUpHandler);
const script = () => onlyResourceOfType(synthesized.search, "Custom::SSTScript");
const domainArn = () => ({ "Fn::GetAtt": [domain()[0], "Arn"] });

/** A `Fn::Join` read back as one string, references spelled `<AWS::Partition>`, `<LogicalId.Attribute>` or `<import:ExportName>`. */
function joined(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) throw new Error(`Not a string or Fn::Join: ${JSON.stringify(value)}`);
  return join[1]
    .map((part) => {
      if (typeof part === "string") return part;
      const { Ref: ref, "Fn::GetAtt": getAtt, "Fn::ImportValue": imported } = part as { Ref?: string; "Fn::GetAtt"?: [string, string]; "Fn::ImportValue"?: string };
      if (ref) return `<${ref}>`;
      if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
      if (imported) return `<import:${imported}>`;
      throw new Error(`Unexpected part ${JSON.stringify(part)}`);
    })
    .join(join[0]);
}

/** The Script's params as the set-up handler receives them. */
function scriptParams(): { domainEndpoint: string; grants: Array<Record<string, unknown>> } {
  return JSON.parse(joined(script()[1].Properties?.UserParams));
}

const esStatements = (statements: readonly PolicyStatement[]) =>
  statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith("es:")));

describe("Search: the domain", () => {
  test("runs OpenSearch 2.19 in the isolated subnets of both zones, zone aware", () => {
    const properties = domain()[1].Properties!;
    expect(properties.EngineVersion).toBe("OpenSearch_2.19");
    expect(properties.ClusterConfig).toMatchObject({ ZoneAwarenessEnabled: true, ZoneAwarenessConfig: { AvailabilityZoneCount: 2 } });

    const isolated = resourcesOfType(synthesized.network, "AWS::EC2::Subnet").filter(([, subnet]) =>
      subnet.Properties?.Tags?.some((tag: { Key: string; Value: string }) => tag.Key === "aws-cdk:subnet-type" && tag.Value === "Isolated"),
    );
    expect(properties.VPCOptions.SubnetIds).toEqual(isolated.map(([id]) => importOf(synthesized.network, { Ref: id })));
    expect(new Set(isolated.map(([, subnet]) => subnet.Properties?.AvailabilityZone))).toEqual(new Set([`${testRegion}a`, `${testRegion}b`]));
  });

  test("encrypts at rest and between nodes, and answers HTTPS only, TLS 1.2 or later with forward secrecy", () => {
    expect(domain()[1].Properties).toMatchObject({
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
    });
  });

  // Firehose's group is admitted too, by a rule in the Tracking stack (stacks/test/tracking.test.ts).
  test("sits behind a security group of its own that admits the functions' group on 443 and nothing else of this stack's", () => {
    const [groupId, group] = onlyResourceOfType(synthesized.search, "AWS::EC2::SecurityGroup");
    expect(domain()[1].Properties?.VPCOptions.SecurityGroupIds).toEqual([{ "Fn::GetAtt": [groupId, "GroupId"] }]);
    // CDK's placeholder for "no egress": the domain opens no connection of its own.
    expect(group.Properties?.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: "255.255.255.255/32", Description: "Disallow all traffic" })]);
    const ingress = resourcesOfType(synthesized.search, "AWS::EC2::SecurityGroupIngress").map(([, rule]) => rule.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: { "Fn::GetAtt": [groupId, "GroupId"] },
        IpProtocol: "tcp",
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: expect.objectContaining({ "Fn::ImportValue": expect.stringContaining("FunctionSecurityGroup") }),
      }),
    ]);
    expect(ingress.some((rule) => rule?.CidrIp !== undefined || rule?.CidrIpv6 !== undefined)).toBe(false);
  });

  test("turns fine-grained access control on, its master the set-up function's role (no internal users)", () => {
    const [, fn] = setUpFunction();
    expect(domain()[1].Properties?.AdvancedSecurityOptions).toEqual({
      Enabled: true,
      InternalUserDatabaseEnabled: false,
      MasterUserOptions: { MasterUserARN: fn.Properties?.Role },
    });
    expect(referencedLogicalId(fn.Properties?.Role)).toMatch(/^SearchSetUpServiceRole/);
  });

  test("lets in this account's signed principals only, on its own paths: IAM and then fine-grained access control decide", () => {
    const policy = domain()[1].Properties?.AccessPolicies;
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement;
    expect(statement.Effect).toBe("Allow");
    expect(statement.Action).toBe("es:ESHttp*");
    expect(joined(statement.Principal.AWS)).toBe(`arn:<AWS::Partition>:iam::${testAccount}:root`);
    expect(joined(statement.Resource)).toBe(`arn:<AWS::Partition>:es:${testRegion}:${testAccount}:domain/${domain()[1].Properties?.DomainName}/*`);
  });

  test("publishes application, slow search and slow index logs to log groups that expire, under a policy for this domain only", () => {
    const [domainId, resource] = domain();
    const publishing: Record<string, { Enabled: boolean; CloudWatchLogsLogGroupArn: unknown }> = resource.Properties?.LogPublishingOptions;
    expect(Object.keys(publishing).sort()).toEqual(["ES_APPLICATION_LOGS", "INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS"]);
    const logGroups = Object.values(publishing).map((log) => {
      expect(log.Enabled).toBe(true);
      const groupId = referencedLogicalId(log.CloudWatchLogsLogGroupArn)!;
      expect(synthesized.search.toJSON().Resources[groupId].Properties.RetentionInDays).toBeGreaterThan(0);
      return groupId;
    });
    expect(new Set(logGroups).size).toBe(3);
    expect(new Set(resourcesOfType(synthesized.search, "AWS::Logs::LogGroup").map(([id]) => id))).toEqual(new Set(logGroups));

    const [policyId, logsPolicy] = onlyResourceOfType(synthesized.search, "AWS::Logs::ResourcePolicy");
    const document = JSON.parse(joined(logsPolicy.Properties?.PolicyDocument));
    expect(document.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "es.amazonaws.com" },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: expect.arrayContaining(logGroups.map((id) => `<${id}.Arn>`)),
        Condition: {
          StringEquals: { "aws:SourceAccount": testAccount },
          ArnLike: { "aws:SourceArn": `arn:<AWS::Partition>:es:${testRegion}:${testAccount}:domain/${resource.Properties?.DomainName}` },
        },
      },
    ]);
    // The policy exists before the domain starts publishing to the groups.
    expect(synthesized.search.toJSON().Resources[domainId].DependsOn).toContain(policyId);
  });

  test("is small and removable outside production: two t3.small data nodes, no dedicated masters, 10 GiB gp3", () => {
    const [, resource] = domain();
    expect(resource.Properties?.ClusterConfig).toMatchObject({ InstanceType: "t3.small.search", InstanceCount: 2, DedicatedMasterEnabled: false });
    expect(resource.Properties?.EBSOptions).toEqual({ EBSEnabled: true, VolumeType: "gp3", VolumeSize: 10 });
    expect(resource.DeletionPolicy).toBe("Delete");
  });

  test("upgrades its engine in place rather than replacing the domain", () => {
    expect((domain()[1] as SynthesizedResource & { UpdatePolicy?: unknown }).UpdatePolicy).toEqual({ EnableVersionUpgrade: true });
  });

  test("needs no custom resource of CDK's (a Lambda function) for its access or log policies", () => {
    const handlers = resourcesOfType(synthesized.search, "AWS::Lambda::Function").map(([, fn]) => String(fn.Properties?.Handler));
    // SST's own custom-resource handler and Script runner, and the set-up.
    expect(handlers.filter((handler) => handler.startsWith("packages/"))).toEqual([setUpHandler]);
    expect(handlers).toHaveLength(3);
  });

  test("outputs its name and URL", () => {
    expect(Object.keys(synthesized.search.toJSON().Outputs)).toEqual(expect.arrayContaining(["SearchDomainName", "SearchUrl"]));
  });
});

describe("Search: the set-up on deploy", () => {
  test("runs the set-up handler on create and on update, inside the VPC with the functions' security group", () => {
    const [fnId, fn] = setUpFunction();
    expect(script()[1].Properties).toMatchObject({ UserCreateFunction: { Ref: fnId }, UserUpdateFunction: { Ref: fnId } });
    expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
    expect(fn.Properties?.VpcConfig?.SubnetIds.length).toBe(2);
    for (const subnetId of fn.Properties?.VpcConfig?.SubnetIds) expect(mentions(subnetId, "applicationSubnet")).toBe(true);
  });

  test("reaches the domain over HTTPS, signing its requests as its role", () => {
    const variables = setUpFunction()[1].Properties?.Environment.Variables;
    expect(joined(variables.HAUL_OPENSEARCH_URL)).toBe(`https://<${domain()[0]}.DomainEndpoint>`);
    expect(variables.HAUL_OPENSEARCH_AUTH).toBe("aws-sigv4");
    // No prefix in AWS: the domain is the stage's own.
    expect(variables.HAUL_OPENSEARCH_INDEX_PREFIX).toBeUndefined();
  });

  test("may do es:ESHttp* on the domain and its paths, and nothing else but tracing", () => {
    const [, fn] = setUpFunction();
    const statements = rolePolicyStatements(synthesized.search, referencedLogicalId(fn.Properties?.Role)!);
    expect(esStatements(statements)).toEqual([
      { Effect: "Allow", Action: expect.arrayContaining(esHttpActions), Resource: [domainArn(), { "Fn::Join": ["", [domainArn(), "/*"]] }] },
    ]);
    expect([esStatements(statements)[0]!.Action].flat().sort()).toEqual(esHttpActions);
    const others = statements.filter((statement) => !esStatements(statements).includes(statement));
    expect(others.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
  });

  test("ships the index families beside the bundle and re-runs when a family file changes", () => {
    const directory = path.resolve("search", "index-families");
    expect(script()[1].Properties?.Version).toBe(hashDirectory(directory));
    const assetHash = String(setUpFunction()[1].Properties?.Code.S3Key).replace(/\.zip$/, "");
    const shipped = path.join(synthesized.assembly.directory, `asset.${assetHash}`, "search", "index-families");
    expect(readdirSync(shipped).sort()).toEqual(readdirSync(directory).sort());
  });

  test("re-runs on a new domain: its endpoint is in the params", () => {
    expect(scriptParams().domainEndpoint).toBe(`<${domain()[0]}.DomainEndpoint>`);
  });

  test("maps every declared user (the declared functions and Firehose's delivery of positions) and no one else; the health function's role to cluster:monitor/health alone", () => {
    const healthName = declaredFunctionName(reservationApi.name, "GET /health");
    const grants = scriptParams().grants;
    expect(grants.map((grant) => grant.roleName).sort()).toEqual(
      [...searchUsers(), positionsDeliverySearchUser].map((user) => searchRoleName(user.name)).sort(),
    );
    expect(grants.find((grant) => grant.roleName === "haul_reservationapi_get_health")).toEqual({
      roleName: "haul_reservationapi_get_health",
      backendRoles: [`arn:<AWS::Partition>:iam::${testAccount}:role/test-haul-ReservationApi-GET-health`],
      clusterPermissions: ["cluster:monitor/health"],
      indexPermissions: [],
    });
    expect(searchRoleName(healthName)).toBe("haul_reservationapi_get_health");
    expect(searchUsers().map((user) => user.name)).toContain(healthName);
  });
});

describe("Search: the functions that use it", () => {
  const healthFunction = () => functionByHandler(synthesized.api, healthRoute.handler);
  const healthRole = () => synthesized.api.toJSON().Resources[referencedLogicalId(healthFunction()[1].Properties?.Role)!];

  test("give the health function's role the fixed name the set-up maps", () => {
    expect(healthRole().Properties.RoleName).toBe(searchUserRoleName(synthesized.app, declaredFunctionName(reservationApi.name, "GET /health")));
    expect(scriptParams().grants.find((grant) => grant.roleName === "haul_reservationapi_get_health")?.backendRoles).toEqual([
      `arn:<AWS::Partition>:iam::${testAccount}:role/${healthRole().Properties.RoleName}`,
    ]);
  });

  test("grant the health function every es:ESHttp action on the domain and its paths only: no es:*, no * resource", () => {
    const statements = rolePolicyStatements(synthesized.api, referencedLogicalId(healthFunction()[1].Properties?.Role)!);
    const arn = importOf(synthesized.search, domainArn());
    expect(esStatements(statements)).toHaveLength(1);
    const [statement] = esStatements(statements);
    expect([statement!.Action].flat().sort()).toEqual(esHttpActions);
    expect(statement!.Resource).toEqual([arn, { "Fn::Join": ["", [arn, "/*"]] }]);
    for (const other of statements) {
      expect([other.Action].flat()).not.toContain("es:*");
      if (other.Resource === "*") expect([other.Action].flat().every((action) => action.startsWith("xray:"))).toBe(true);
    }
  });

  test("point the health function at the domain over HTTPS with SigV4, from inside the VPC", () => {
    const [, fn] = healthFunction();
    const variables = fn.Properties?.Environment.Variables;
    const endpoint = importOf(synthesized.search, { "Fn::GetAtt": [domain()[0], "DomainEndpoint"] })["Fn::ImportValue"];
    expect(joined(variables.HAUL_OPENSEARCH_URL)).toBe(`https://<import:${endpoint}>`);
    expect(variables.HAUL_OPENSEARCH_AUTH).toBe("aws-sigv4");
    expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
  });

  test("are exactly the functions that declare `search`: no other function gets the domain or a fixed role name", () => {
    const handlersOf = (predicate: (fn: SynthesizedResource, template: Template) => boolean) =>
      [...synthesized.templates().values()]
        .flatMap((template) => resourcesOfType(template, "AWS::Lambda::Function").map(([, fn]) => [fn, template] as const))
        .filter(([fn, template]) => predicate(fn, template))
        .map(([fn]) => String(fn.Properties?.Handler))
        .sort();
    const declared = declaredFunctions()
      .filter(({ declaration }) => declaration.uses?.includes("search"))
      .map(({ declaration }) => declaration.handler)
      .sort();
    expect(declared).toContain(healthRoute.handler);

    const reaching = handlersOf((fn) => fn.Properties?.Environment?.Variables?.HAUL_OPENSEARCH_URL !== undefined);
    expect(reaching).toEqual([...declared, setUpHandler].sort());
    const granted = handlersOf((fn, template) => esStatements(rolePolicyStatements(template, referencedLogicalId(fn.Properties?.Role)!)).length > 0);
    expect(granted).toEqual([...declared, setUpHandler].sort());
    const named = handlersOf((fn, template) => template.toJSON().Resources[referencedLogicalId(fn.Properties?.Role)!]?.Properties?.RoleName !== undefined);
    expect(named).toEqual(declared);
  });
});
