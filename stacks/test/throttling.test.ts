/**
 * Throttling as the stacks synthesize it (stage `test`): every HTTP API's stage has the declared
 * default route throttle and one route setting per declared route with that route's limits, and
 * waits for its routes (CloudFormation refuses settings for routes not created yet); the WebSocket
 * API's stage has the declared stage throttle. The local gateways apply the same declaration:
 * test/security/throttling.test.ts.
 */
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, test } from "vitest";
import { httpApis, liveApi, routeThrottle, throttle } from "../../packages/functions/src/declarations.js";
import { synthesizeBeforeAll } from "./support/synth-app.js";
import { resourcesOfType, type SynthesizedResource } from "./support/template-queries.js";

const synthesized = synthesizeBeforeAll({});

/** The template of the one stack that outputs `<name>Url`. */
function templateOutputting(name: string): Template {
  const artifacts = synthesized.assembly.stacks.filter((artifact) =>
    Object.keys((artifact.template as { Outputs?: object }).Outputs ?? {}).includes(`${name}Url`),
  );
  expect(artifacts, `one stack outputs ${name}Url`).toHaveLength(1);
  return Template.fromJSON(artifacts[0]!.template);
}

/** The stage of the API of `protocol` in a template (one such API per template). */
function stageOf(template: Template, protocol: "HTTP" | "WEBSOCKET"): SynthesizedResource & { logicalId: string } {
  const apis = resourcesOfType(template, "AWS::ApiGatewayV2::Api").filter(([, api]) => api.Properties?.ProtocolType === protocol);
  expect(apis).toHaveLength(1);
  const [apiId] = apis[0]!;
  const stages = resourcesOfType(template, "AWS::ApiGatewayV2::Stage").filter(([, stage]) => stage.Properties?.ApiId?.Ref === apiId);
  expect(stages).toHaveLength(1);
  const [logicalId, stage] = stages[0]!;
  return { ...stage, logicalId };
}

describe("throttling in the stacks", () => {
  test.each(httpApis.map((api) => [api.name, api] as const))("%s: the stage default and every declared route are throttled", (name, api) => {
    const template = templateOutputting(name);
    const stage = stageOf(template, "HTTP");
    expect(stage.Properties?.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: throttle.httpRouteDefault.burstLimit,
      ThrottlingRateLimit: throttle.httpRouteDefault.rateLimit,
    });
    const expected = Object.fromEntries(
      Object.keys(api.routes).map((routeKey) => {
        const limits = routeThrottle(name, routeKey);
        return [routeKey, { ThrottlingBurstLimit: limits.burstLimit, ThrottlingRateLimit: limits.rateLimit }];
      }),
    );
    expect(stage.Properties?.RouteSettings).toEqual(expected);
    const routeIds = resourcesOfType(template, "AWS::ApiGatewayV2::Route").map(([logicalId]) => logicalId);
    expect(routeIds).toHaveLength(Object.keys(api.routes).length);
    expect(stage.DependsOn ?? []).toEqual(expect.arrayContaining(routeIds));
  });

  test("the declared route limits name only declared routes", () => {
    for (const [apiName, routes] of Object.entries(throttle.httpRoutes)) {
      const api = httpApis.find((candidate) => candidate.name === apiName);
      expect(api, `${apiName} is a declared HTTP API`).toBeDefined();
      for (const routeKey of Object.keys(routes)) expect(Object.keys(api!.routes), `${apiName} ${routeKey}`).toContain(routeKey);
    }
  });

  test("the LiveApi's stage has the declared stage throttle", () => {
    const stage = stageOf(templateOutputting(liveApi.name), "WEBSOCKET");
    expect(stage.Properties?.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: throttle.webSocketStage.burstLimit,
      ThrottlingRateLimit: throttle.webSocketStage.rateLimit,
    });
  });
});
