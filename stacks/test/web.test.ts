/**
 * The web app in AWS (stage `test`): the StaticSite, the APIs allowing exactly its origin, Cognito
 * returning to it, and the config.json deployed into its bucket from the APIs' URLs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { httpApis } from "../../packages/functions/src/declarations.js";
import { Auth } from "../Auth.js";
import { Web } from "../Web.js";
import { WebConfig } from "../WebConfig.js";
import { synthesizeBeforeAll } from "./support/synth-app.js";
import { importOf, mentions, onlyResourceOfType, resourcesOfType, type SynthesizedResource } from "./support/template-queries.js";

const synthesized = synthesizeBeforeAll({ web: Web, auth: Auth, webConfig: WebConfig });

/** The site's URL as another stack sees it: `https://` and the distribution's domain, imported. */
function siteUrlIn(suffix = ""): unknown {
  const [distributionId] = onlyResourceOfType(synthesized.web, "AWS::CloudFront::Distribution");
  const domain = importOf(synthesized.web, { "Fn::GetAtt": [distributionId, "DomainName"] });
  return { "Fn::Join": ["", ["https://", domain, ...(suffix ? [suffix] : [])]] };
}

describe("the StaticSite", () => {
  test("serves the app from a private bucket through CloudFront, index.html for the app's routes", () => {
    const [, distribution] = onlyResourceOfType(synthesized.web, "AWS::CloudFront::Distribution");
    const config = distribution.Properties?.DistributionConfig;
    expect(config.DefaultRootObject).toBe("index.html");
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe("redirect-to-https");
    for (const code of [403, 404]) {
      expect(config.CustomErrorResponses).toContainEqual(expect.objectContaining({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: "/index.html" }));
    }
    const [, bucket] = onlyResourceOfType(synthesized.web, "AWS::S3::Bucket");
    expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  test("uploads the build without deleting what it did not upload (config.json)", () => {
    const [, uploader] = onlyResourceOfType(synthesized.web, "Custom::S3Uploader");
    expect(uploader.Properties?.filenames).toBeUndefined();
  });

  test("outputs its URL", () => {
    const [distributionId] = onlyResourceOfType(synthesized.web, "AWS::CloudFront::Distribution");
    expect(synthesized.web.toJSON().Outputs.WebUrl.Value).toEqual({ "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distributionId, "DomainName"] }]] });
  });
});

describe("CORS", () => {
  const httpApisOfApp = (): Array<[stack: string, api: SynthesizedResource]> =>
    [...synthesized.templates()].flatMap(([stack, template]) =>
      resourcesOfType(template, "AWS::ApiGatewayV2::Api")
        .filter(([, api]) => api.Properties?.ProtocolType === "HTTP")
        .map(([, api]) => [stack, api] as [string, SynthesizedResource]),
    );

  test("covers every declared HTTP API", () => {
    expect(httpApisOfApp()).toHaveLength(httpApis.length);
  });

  test("allows exactly the site's origin on every HTTP API, never *", () => {
    for (const [stack, api] of httpApisOfApp()) {
      const allowOrigins = api.Properties?.CorsConfiguration?.AllowOrigins;
      expect(allowOrigins, stack).toEqual([siteUrlIn()]);
      expect(JSON.stringify(allowOrigins), stack).not.toContain('"*"');
    }
  });
});

describe("Cognito's hosted UI", () => {
  test("signs in with the code flow and returns to the site's /auth/callback", () => {
    const [, client] = onlyResourceOfType(synthesized.auth, "AWS::Cognito::UserPoolClient");
    expect(client.Properties?.AllowedOAuthFlows).toEqual(["code"]);
    expect(client.Properties?.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect([...client.Properties?.AllowedOAuthScopes].sort()).toEqual(["email", "openid", "profile"]);
    expect(client.Properties?.SupportedIdentityProviders).toEqual(["COGNITO"]);
    expect(client.Properties?.CallbackURLs).toEqual([siteUrlIn("/auth/callback")]);
    expect(client.Properties?.LogoutURLs).toEqual([siteUrlIn("/")]);
  });

  test("has a domain, output as HostedUiUrl", () => {
    onlyResourceOfType(synthesized.auth, "AWS::Cognito::UserPoolDomain");
    expect(mentions(synthesized.auth.toJSON().Outputs.HostedUiUrl.Value, ".amazoncognito.com")).toBe(true);
  });
});

describe("config.json", () => {
  const deployment = () => onlyResourceOfType(synthesized.webConfig, "Custom::CDKBucketDeployment")[1].Properties!;

  /** The deployed file as staged in the assembly; tokens stand there as markers, resolved at deploy time. */
  function deployedConfig(): { json: any; markers: Record<string, unknown> } {
    const [objectKey] = deployment().SourceObjectKeys as string[];
    const assetDirectory = path.join(synthesized.assembly.directory, `asset.${objectKey!.replace(/\.zip$/, "")}`);
    // A marker stands for a whole JSON string (quotes included); quoted, the file parses.
    const text = readFileSync(path.join(assetDirectory, "config.json"), "utf8").replace(/"?(<<marker:0xbaba:\d+>>)"?/g, '"$1"');
    const json = JSON.parse(text);
    return { json, markers: (deployment().SourceMarkers as Array<Record<string, unknown>>)[0] ?? {} };
  }

  test("goes into the site's bucket, leaves the build alone and invalidates only itself", () => {
    const props = deployment();
    expect(props.Prune).toBe(false);
    const [bucketId] = onlyResourceOfType(synthesized.web, "AWS::S3::Bucket");
    expect(props.DestinationBucketName).toEqual(importOf(synthesized.web, { Ref: bucketId }));
    const [distributionId] = onlyResourceOfType(synthesized.web, "AWS::CloudFront::Distribution");
    expect(props.DistributionId).toEqual(importOf(synthesized.web, { Ref: distributionId }));
    expect(props.DistributionPaths).toEqual(["/config.json"]);
    expect(props.SystemMetadata).toEqual(expect.objectContaining({ "cache-control": "no-cache" }));
  });

  test("holds the stage, every API's URL, the hosted UI and the map, in the app's shape", () => {
    const { json, markers } = deployedConfig();
    expect(json.stage).toBe("test");
    expect(Object.keys(json.apis).sort()).toEqual(["live", "notification", "observability", "query", "reservation", "tracking"]);
    const resolved = (value: string) => markers[value];
    for (const [field, stack] of [
      ["reservation", "ReservationApi"],
      ["query", "QueryApi"],
      ["notification", "NotificationApi"],
      ["tracking", "Tracking"],
      ["observability", "Observability"],
      ["live", "LiveApi"],
    ] as const) {
      expect(mentions(resolved(json.apis[field]), `test-haul-${stack}`), field).toBe(true);
    }
    expect(json.auth.kind).toBe("cognito");
    expect(mentions(resolved(json.auth.domain), "test-haul-Auth")).toBe(true);
    expect(mentions(resolved(json.auth.clientId), "test-haul-Auth")).toBe(true);
    expect(json.map).toEqual({});
  });
});
