/**
 * cdk-nag's AwsSolutions pack over the whole app (stage `test`): no unsuppressed error, and only
 * the reviewed rules suppressed. Each suppression's reason lives beside the resource it covers.
 * Production's own run is in production.test.ts (it suppresses fewer rules).
 */
import { beforeAll, expect, test } from "vitest";
import { nagFindings, suppressedNagFindings, synthesizeApp, type SynthesizedApp } from "./support/synth-app.js";

let synthesized: SynthesizedApp;

beforeAll(async () => {
  synthesized = await synthesizeApp({ stage: "test", nagChecks: true });
}, 300_000);

test("leaves no AwsSolutions error unsuppressed", () => {
  const errors = nagFindings(synthesized.assembly, "error").map((finding) => `${finding.path}: ${finding.message}`);
  expect(errors).toEqual([]);
});

test("leaves no AwsSolutions warning unsuppressed", () => {
  const warnings = nagFindings(synthesized.assembly, "warning").map((finding) => `${finding.path}: ${finding.message}`);
  expect(warnings).toEqual([]);
});

test("suppresses only the reviewed rules", () => {
  const suppressed = new Set(suppressedNagFindings(synthesized.assembly).map((finding) => finding.rule));
  expect([...suppressed].sort()).toEqual([
    "AwsSolutions-APIG4", // HTTP routes declared auth: none; WebSocket routes after $connect, which its authorizer guards
    "AwsSolutions-CFR1", // the web app's distribution: public static files, no geo restriction
    "AwsSolutions-CFR2", // no WAF in front of static files (the APIs throttle and authorize)
    "AwsSolutions-CFR3", // no CloudFront access log for static files
    "AwsSolutions-CFR4", // the default *.cloudfront.net certificate until a stage has a custom domain
    "AwsSolutions-CFR7", // SST v2's StaticSite reads its bucket with an origin access identity
    "AwsSolutions-COG2", // (a warning) MFA offered, not forced on self-signed-up customers
    "AwsSolutions-IAM4", // Lambda's managed logging / VPC policies
    "AwsSolutions-IAM5", // X-Ray's and log delivery's Resource "*", invoke of function versions, kms:GenerateDataKey* on the topic key, `<domain ARN>/*` of the OpenSearch domain, Firehose's ENIs and backup objects, the web site's and config.json's bucket objects
    "AwsSolutions-KDF1", // a delivery stream fed by a Kinesis stream takes no encryption of its own; the stream is encrypted
    "AwsSolutions-L1", // nodejs22.x chosen app-wide; CDK's BucketDeployment (config.json) on CDK's Python
    "AwsSolutions-OS3", // a VPC domain takes no IP-based policy: its security group admits only the functions' group
    "AwsSolutions-OS4", // dedicated masters only in production
    "AwsSolutions-RDS10", // non-production stays removable
    "AwsSolutions-RDS11", // replica has no Engine property to read its port against
    "AwsSolutions-RDS2", // replica inherits the primary's encryption
    "AwsSolutions-RDS3", // Multi-AZ only in production
    "AwsSolutions-S1", // Firehose's backup bucket of failed documents has no access-log bucket
    "AwsSolutions-SMG4", // reader password and Redis token have no rotation template
    "AwsSolutions-SQS3", // the log refiner's on-failure queue is itself the dead-letter destination
  ]);
});

test("covers SST's own custom-resource handler in every stack by path", () => {
  const handlerSuppressions = suppressedNagFindings(synthesized.assembly).filter(
    (finding) => finding.path.endsWith("/CustomResourceHandler/ServiceRole/Resource") && finding.rule === "AwsSolutions-IAM4",
  );
  expect(handlerSuppressions).toHaveLength(synthesized.assembly.stacks.length);
});
