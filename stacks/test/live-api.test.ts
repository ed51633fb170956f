/**
 * The LiveApi (stacks/LiveApi.ts) as stage `test` synthesizes it: the WebSocket API built from the
 * `liveApi` declaration, its `$connect` REQUEST authorizer, route responses, the connections
 * table it stores in, logs that never hold the token, and `execute-api:ManageConnections` for the
 * functions that declare `liveApiConnections` and no other. The same checks against the local
 * gateway: route-parity.test.ts.
 */
import { App, Aspects, Stack } from "aws-cdk-lib";
import { WebSocketApi as CdkWebSocketApi } from "aws-cdk-lib/aws-apigatewayv2";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, test } from "vitest";
import {
  declaredFunctions,
  liveApi,
  tableNameVariable,
  tables,
  type FunctionUse,
  type TableDeclaration,
  type WebSocketRouteDeclaration,
} from "../../packages/functions/src/declarations.js";
import { webSocketAccessLogFields } from "../../packages/local/test/fixtures/websocket-access-log.js";
import { Auth } from "../Auth.js";
import { Data } from "../Data.js";
import { grantManageConnections } from "../declared-websocket-api.js";
import { LiveApi } from "../LiveApi.js";
import { Search } from "../Search.js";
import { nagFindings, suppressedNagFindings, synthesizeBeforeAll, testAccount, testRegion } from "./support/synth-app.js";
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

const synthesized = synthesizeBeforeAll({ live: LiveApi, data: Data, auth: Auth, search: Search });

const declaredRoutes = Object.entries<WebSocketRouteDeclaration>(liveApi.routes);
const xrayActions = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
/** SST's variables and the Powertools service name: every LiveApi function has them. */
const baseVariables = ["AWS_NODEJS_CONNECTION_REUSE_ENABLED", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME", "SST_APP", "SST_STAGE", "SST_SSM_PREFIX"];

const api = () => onlyResourceOfType(synthesized.live, "AWS::ApiGatewayV2::Api");
const authorizer = () => onlyResourceOfType(synthesized.live, "AWS::ApiGatewayV2::Authorizer");
const stage = () => onlyResourceOfType(synthesized.live, "AWS::ApiGatewayV2::Stage");
const routeOf = (routeKey: string): [string, SynthesizedResource] => {
  const found = resourcesOfType(synthesized.live, "AWS::ApiGatewayV2::Route").filter(([, route]) => route.Properties?.RouteKey === routeKey);
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** The function a route's Lambda proxy integration invokes. */
const functionOfRoute = (routeKey: string): SynthesizedResource => {
  const [, route] = routeOf(routeKey);
  const integrationId = String(route.Properties?.Target["Fn::Join"][1][1].Ref);
  const integration = synthesized.live.toJSON().Resources[integrationId];
  expect(integration.Properties.IntegrationType).toBe("AWS_PROXY");
  return synthesized.live.toJSON().Resources[referencedLogicalId(integration.Properties.IntegrationUri["Fn::Join"][1][3])!];
};
const statementsOf = (template: Template, fn: SynthesizedResource) => rolePolicyStatements(template, referencedLogicalId(fn.Properties?.Role)!);
const actionsOf = (statements: readonly PolicyStatement[]) => statements.flatMap((statement) => [statement.Action].flat()).sort();
const tableId = (table: TableDeclaration) => {
  const found = resourcesOfType(synthesized.data, "AWS::DynamoDB::Table").filter(([, candidate]) => candidate.Properties?.TableName === `test-haul-${table.name}`);
  expect(found).toHaveLength(1);
  return found[0]![0];
};
const liveConnectionsTableId = () => tableId(tables.liveConnections);

describe("LiveApi: the WebSocket API", () => {
  test("is one WebSocket API, named after the stage, that routes messages by their action", () => {
    expect(api()[1].Properties).toMatchObject({
      Name: "test-haul-LiveApi",
      ProtocolType: "WEBSOCKET",
      RouteSelectionExpression: liveApi.routeSelectionExpression,
    });
    expect(liveApi.routeSelectionExpression).toBe("$request.body.action");
    expect(stage()[1].Properties).toMatchObject({ StageName: "test", AutoDeploy: true });
  });

  test("has exactly the declared routes", () => {
    const routeKeys = resourcesOfType(synthesized.live, "AWS::ApiGatewayV2::Route").map(([, route]) => route.Properties?.RouteKey);
    expect(routeKeys.sort()).toEqual(Object.keys(liveApi.routes).sort());
    expect(Object.keys(liveApi.routes)).toEqual(expect.arrayContaining(["$connect", "$disconnect", "ping", "$default"]));
  });

  test.each(declaredRoutes)("runs %s on its declared handler", (routeKey, route) => {
    expect(functionOfRoute(routeKey).Properties?.Handler).toBe(route.handler);
  });

  test("authorizes $connect with a Lambda REQUEST authorizer that reads the token from the query string, without a result cache", () => {
    const [authorizerId, { Properties: properties }] = authorizer();
    expect(properties).toMatchObject({
      AuthorizerType: "REQUEST",
      IdentitySource: ["route.request.querystring.token"],
    });
    expect(properties?.IdentitySource).toEqual([...liveApi.authorizer.identitySource]);
    // WebSocket authorizers take no result TTL (HTTP APIs' only): each connection is authorized afresh.
    expect(properties?.AuthorizerResultTtlInSeconds).toBeUndefined();
    const authorizerFunctionId = referencedLogicalId(properties?.AuthorizerUri["Fn::Join"][1][3]);
    expect(synthesized.live.toJSON().Resources[authorizerFunctionId!].Properties.Handler).toBe(liveApi.authorizer.handler);

    expect(routeOf("$connect")[1].Properties).toMatchObject({ AuthorizationType: "CUSTOM", AuthorizerId: { Ref: authorizerId } });
  });

  test.each(declaredRoutes.filter(([routeKey]) => routeKey !== "$connect"))(
    "runs %s without an authorizer of its own (API Gateway authorizes at $connect only)",
    (routeKey) => {
      const properties = routeOf(routeKey)[1].Properties;
      expect(properties?.AuthorizerId).toBeUndefined();
      expect(properties?.AuthorizationType ?? "NONE").toBe("NONE");
    },
  );

  test("lets API Gateway invoke the authorizer function only as this API's authorizer", () => {
    const [authorizerId, { Properties: properties }] = authorizer();
    const functionId = referencedLogicalId(properties?.AuthorizerUri["Fn::Join"][1][3])!;
    const permissions = resourcesOfType(synthesized.live, "AWS::Lambda::Permission").filter(([, permission]) => mentions(permission.Properties?.FunctionName, functionId));
    expect(permissions).toHaveLength(1);
    const [, permission] = permissions[0]!;
    expect(permission.Properties).toMatchObject({ Action: "lambda:InvokeFunction", Principal: "apigateway.amazonaws.com" });
    expect(permission.Properties?.SourceArn).toEqual({
      "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:execute-api:${testRegion}:${testAccount}:`, { Ref: api()[0] }, "/authorizers/", { Ref: authorizerId }]],
    });
  });

  test("gives the authorizer function the Cognito issuer and app client, and nothing else", () => {
    const [, fn] = functionByHandler(synthesized.live, liveApi.authorizer.handler);
    const variables = fn.Properties?.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([...baseVariables, "HAUL_TOKEN_AUDIENCE", "HAUL_TOKEN_ISSUER"].sort());
    const [poolId] = onlyResourceOfType(synthesized.auth, "AWS::Cognito::UserPool");
    const [clientId] = onlyResourceOfType(synthesized.auth, "AWS::Cognito::UserPoolClient");
    expect(variables.HAUL_TOKEN_ISSUER).toEqual({
      "Fn::Join": ["", [`https://cognito-idp.${testRegion}.`, { Ref: "AWS::URLSuffix" }, "/", importOf(synthesized.auth, { Ref: poolId })]],
    });
    expect(variables.HAUL_TOKEN_AUDIENCE).toEqual(importOf(synthesized.auth, { Ref: clientId }));
    expect(fn.Properties?.VpcConfig).toBeUndefined();
    expect(actionsOf(statementsOf(synthesized.live, fn))).toEqual(xrayActions);
  });

  test("answers exactly the two-way routes with a route response", () => {
    const responses = resourcesOfType(synthesized.live, "AWS::ApiGatewayV2::RouteResponse");
    const twoWay = declaredRoutes.filter(([, route]) => route.returnResponse).map(([routeKey]) => routeKey);
    expect(twoWay.sort()).toEqual(["$default", "ping", "subscribe", "unsubscribe"]);
    expect(responses.map(([, response]) => referencedLogicalId(response.Properties?.RouteId)).sort()).toEqual(twoWay.map((routeKey) => routeOf(routeKey)[0]).sort());
    for (const [, response] of responses) expect(response.Properties?.RouteResponseKey).toBe("$default");
    for (const [routeKey, route] of declaredRoutes) {
      expect(routeOf(routeKey)[1].Properties?.RouteResponseSelectionExpression).toBe(route.returnResponse ? "$default" : undefined);
    }
  });

  test.each(declaredRoutes)("gives %s's function exactly the environment, placement and grants of its declared uses", (_routeKey, route) => {
    const [, fn] = functionByHandler(synthesized.live, route.handler);
    const uses: readonly FunctionUse[] = route.uses ?? [];
    const variables = fn.Properties?.Environment.Variables;
    const usedTables = Object.entries<TableDeclaration>(tables).filter(([key]) => uses.includes(`${key}Table` as FunctionUse));
    const searchVariables = uses.includes("search") ? ["HAUL_OPENSEARCH_URL", "HAUL_OPENSEARCH_AUTH"] : [];
    expect(Object.keys(variables).sort()).toEqual([...baseVariables, ...usedTables.map(([, table]) => tableNameVariable(table)), ...searchVariables].sort());
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe("live");
    // OpenSearch lives in the VPC; DynamoDB and the LiveApi do not.
    if (uses.includes("search")) expect(mentions(fn.Properties?.VpcConfig?.SecurityGroupIds, "FunctionSecurityGroup")).toBe(true);
    else expect(fn.Properties?.VpcConfig).toBeUndefined();

    const statements = statementsOf(synthesized.live, fn);
    const expected: unknown[] = [{ Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" }];
    for (const [, table] of usedTables) {
      const tableArn = importOf(synthesized.data, { "Fn::GetAtt": [tableId(table), "Arn"] });
      expect(variables[tableNameVariable(table)]).toEqual(importOf(synthesized.data, { Ref: tableId(table) }));
      // The table and its declared indexes by name: no `<table>/index/*`.
      const resources = [tableArn, ...Object.keys(table.indexes ?? {}).map((index) => ({ "Fn::Join": ["", [tableArn, `/index/${index}`]] }))];
      expected.push({
        Effect: "Allow",
        Action: expect.arrayContaining(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]),
        // IAM's one-resource statements are synthesized without the array.
        Resource: resources.length === 1 ? resources[0] : resources,
      });
    }
    if (uses.includes("search")) {
      const domainArn = importOf(synthesized.search, { "Fn::GetAtt": [onlyResourceOfType(synthesized.search, "AWS::OpenSearchService::Domain")[0], "Arn"] });
      expected.push({ Effect: "Allow", Action: expect.arrayContaining(["es:ESHttpGet", "es:ESHttpPost"]), Resource: [domainArn, { "Fn::Join": ["", [domainArn, "/*"]] }] });
    }
    expect(statements).toEqual(expect.arrayContaining(expected));
    expect(statements).toHaveLength(expected.length);
    expect(uses).not.toContain("liveApiConnections");
  });

  test("gives no route function execute-api:ManageConnections (SST's WebSocketApi would give it to all)", () => {
    for (const [routeKey] of declaredRoutes) {
      const actions = actionsOf(statementsOf(synthesized.live, functionOfRoute(routeKey)));
      expect({ routeKey, actions: actions.filter((action) => action.startsWith("execute-api:")) }).toEqual({ routeKey, actions: [] });
    }
  });

  test("writes access logs with API Gateway's WebSocket fields, never the query string, and no execution logs or data traces", () => {
    // The stack's other log groups are its functions' (stacks/test/observability.test.ts).
    const accessLogGroups = resourcesOfType(synthesized.live, "AWS::Logs::LogGroup").filter(([, group]) => JSON.stringify(group.Properties?.LogGroupName).includes("/aws/vendedlogs/apis/"));
    expect(accessLogGroups).toHaveLength(1);
    const [logGroupId, logGroup] = accessLogGroups[0]!;
    expect(logGroup.Properties?.RetentionInDays).toBe(30);
    const properties = stage()[1].Properties!;
    expect(properties.AccessLogSettings.DestinationArn).toEqual({ "Fn::GetAtt": [logGroupId, "Arn"] });
    const format: string = properties.AccessLogSettings.Format;
    expect(Object.keys(accessLogFields(format))).toEqual([...webSocketAccessLogFields]);
    // Nothing of the request itself: no query string (the token), headers, body or path.
    for (const variable of Object.values(accessLogFields(format))) expect(variable).toMatch(/^\$context\.[A-Za-z.]+$/);
    expect(format).not.toMatch(/querystring|\$request|\$input|header|path|authorizer/i);
    // Besides the declared stage throttle (checked in throttling.test.ts), logging settings only.
    expect(properties.DefaultRouteSettings).toEqual({ LoggingLevel: "OFF", DataTraceEnabled: false, ThrottlingBurstLimit: expect.any(Number), ThrottlingRateLimit: expect.any(Number) });
  });

  test("outputs LiveApiUrl (wss://) and LiveApiCallbackUrl (https://) of its stage, as the local cloud does", () => {
    const outputs = synthesized.live.toJSON().Outputs;
    const urlOf = (scheme: string) => ({ "Fn::Join": ["", [`${scheme}://`, { Ref: api()[0] }, `.execute-api.${testRegion}.`, { Ref: "AWS::URLSuffix" }, "/test"]] });
    expect(outputs.LiveApiUrl.Value).toEqual(urlOf("wss"));
    expect(outputs.LiveApiCallbackUrl.Value).toEqual(urlOf("https"));
  });
});

describe("Data: the LiveApi's connections table", () => {
  test("finds a user's connections by the byUser index and expires items by expiresAt", () => {
    const table = synthesized.data.toJSON().Resources[liveConnectionsTableId()];
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: "connectionId", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      GlobalSecondaryIndexes: [{ IndexName: "byUser", KeySchema: [{ AttributeName: "userId", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
    });
    expect(tables.liveConnections).toMatchObject({ timeToLiveAttribute: "expiresAt", indexes: { byUser: { partitionKey: "userId" } } });
  });
});

describe("execute-api across the whole app", () => {
  const usesByHandler = new Map(declaredFunctions().map(({ declaration }) => [declaration.handler, declaration.uses ?? []]));
  const liveApiId = () => api()[0];
  /** How a later stack names the API; while no stack is granted anything, the LiveApi stack exports no id to name. */
  const liveApiImport = () => {
    try {
      return importOf(synthesized.live, { Ref: liveApiId() });
    } catch {
      return "an import of the LiveApi's id (none yet: no later stack has been granted ManageConnections)";
    }
  };

  test("no policy grants execute-api:* or execute-api on Resource *", () => {
    for (const [stackName, template] of synthesized.templates()) {
      for (const [, policy] of resourcesOfType(template, "AWS::IAM::Policy")) {
        for (const statement of policy.Properties?.PolicyDocument.Statement as PolicyStatement[]) {
          const actions = [statement.Action].flat();
          if (!actions.some((action) => action.startsWith("execute-api:") || action === "*")) continue;
          expect({ stackName, actions }).toEqual({ stackName, actions: ["execute-api:ManageConnections"] });
          expect({ stackName, resource: statement.Resource }).not.toEqual({ stackName, resource: "*" });
        }
      }
    }
  });

  test("only functions that declare liveApiConnections may manage connections, to push, on the LiveApi's stage only", () => {
    for (const [stackName, template] of synthesized.templates()) {
      for (const [, fn] of resourcesOfType(template, "AWS::Lambda::Function")) {
        const statements = statementsOf(template, fn).filter((statement) => [statement.Action].flat().some((action) => action.startsWith("execute-api:")));
        const declaredUses = usesByHandler.get(String(fn.Properties?.Handler)) ?? [];
        if (!declaredUses.includes("liveApiConnections")) {
          expect({ stackName, handler: fn.Properties?.Handler, statements }).toEqual({ stackName, handler: fn.Properties?.Handler, statements: [] });
          continue;
        }
        // A later stack names the API through an import; this one would by Ref.
        const apiReference = stackName === "test-haul-LiveApi" ? { Ref: liveApiId() } : liveApiImport();
        expect({ stackName, handler: fn.Properties?.Handler, statements }).toEqual({ stackName, handler: fn.Properties?.Handler, statements: [
          {
            Effect: "Allow",
            Action: "execute-api:ManageConnections",
            Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:execute-api:${testRegion}:${testAccount}:`, apiReference, "/test/POST/@connections/*"]] },
          },
        ] });
      }
    }
  });
});

describe("grantManageConnections", () => {
  /** A plain CDK app (not SST's): the grant and its cdk-nag suppression on their own. */
  function grantInPlainApp(options: { readonly crossStack: boolean; readonly methods?: Array<"POST" | "GET" | "DELETE"> }) {
    const app = new App();
    const env = { account: testAccount, region: testRegion };
    const apiStack = new Stack(app, "Api", { env });
    const webSocketApi = new CdkWebSocketApi(apiStack, "Live");
    const granteeStack = options.crossStack ? new Stack(app, "Pusher", { env }) : apiStack;
    const role = new iam.Role(granteeStack, "PusherRole", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
    grantManageConnections({ webSocketApi, stageName: "prod" }, role, options.methods);
    Aspects.of(app).add(new AwsSolutionsChecks({ reports: false, logIgnores: true }));
    const assembly = app.synth();
    const [, policy] = onlyResourceOfType(Template.fromStack(granteeStack), "AWS::IAM::Policy");
    return { assembly, statements: policy.Properties?.PolicyDocument.Statement as PolicyStatement[] };
  }
  const arnOf = (apiReference: unknown, method: string) => ({
    "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:execute-api:${testRegion}:${testAccount}:`, apiReference, `/prod/${method}/@connections/*`]],
  });

  test("grants ManageConnections to push (POST) on one stage's @connections, with the IAM5 finding suppressed for exactly that", () => {
    const { assembly, statements } = grantInPlainApp({ crossStack: false });
    expect(statements).toEqual([{ Effect: "Allow", Action: "execute-api:ManageConnections", Resource: arnOf({ Ref: expect.stringMatching(/^Live/) }, "POST") }]);
    expect(nagFindings(assembly, "error")).toEqual([]);
    expect(suppressedNagFindings(assembly).map((finding) => finding.rule)).toContain("AwsSolutions-IAM5");
  });

  test("works from another stack, and for the methods asked for only", () => {
    const { assembly, statements } = grantInPlainApp({ crossStack: true, methods: ["POST", "DELETE"] });
    const imported = { "Fn::ImportValue": expect.stringMatching(/^Api:ExportsOutputRefLive/) };
    expect(statements).toEqual([
      { Effect: "Allow", Action: "execute-api:ManageConnections", Resource: [arnOf(imported, "POST"), arnOf(imported, "DELETE")] },
    ]);
    expect(nagFindings(assembly, "error")).toEqual([]);
  });
});

/** The access log format's fields and the `$context` variable each holds. */
function accessLogFields(format: string): Record<string, string> {
  // Unquoted variables (numbers) get quoted, so the format reads as JSON.
  const json = format.replace(/:(\$context\.[A-Za-z.]+)/g, ':"$1"');
  return JSON.parse(json) as Record<string, string>;
}
