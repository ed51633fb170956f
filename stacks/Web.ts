import { existsSync } from "node:fs";
import { NagSuppressions } from "cdk-nag";
import { StaticSite, type StackContext } from "sst/constructs";
import { suppressSstInternalFindings } from "./nag-suppressions.js";

/**
 * The web app: its build in a private S3 bucket behind CloudFront (SST's StaticSite), the app's
 * routes answered with index.html. It depends on nothing, so every other stack can use its URL:
 * the APIs allow exactly its origin (CORS) and Cognito sends sign-ins back to it. The APIs' URLs
 * reach the app at run time through `/config.json`, which stacks/WebConfig.ts writes into the same
 * bucket once they exist; one build serves every stage.
 */
export function Web({ stack }: StackContext) {
  const site = new StaticSite(stack, "Site", {
    path: "packages/web",
    // Errors only: a passing build has nothing to say. The synth tests take the build that
    // scripts/test.sh made (HAUL_WEB_PREBUILT), instead of building it again in every synthesis.
    ...(process.env.HAUL_WEB_PREBUILT && existsSync("packages/web/dist/index.html") ? {} : { buildCommand: "npm run build --silent -- --logLevel error" }),
    buildOutput: "dist",
    errorPage: "redirect_to_index_page",
    // A site deploy must not delete config.json, which the WebConfig stack owns; hashed assets of
    // older builds stay too, so a browser still running the previous build can load its chunks.
    purgeFiles: false,
    cdk: { bucket: { enforceSSL: true } },
    // SST writes Vite env typings on every synthesis; the app takes no build-time variables, so
    // they go where nothing reads them, not into packages/web/src.
    vite: { types: "node_modules/.sst/sst-env.d.ts" },
    // `sst dev` too: the APIs' CORS and Cognito's callback need the deployed site's URL.
    dev: { deploy: true },
  });
  const url = site.url;
  if (!url) throw new Error("The Web stack's StaticSite has no URL");
  const { bucket, distribution } = site.cdk!;

  stack.addOutputs({ WebUrl: url });

  suppressSstInternalFindings(stack);
  NagSuppressions.addResourceSuppressions(
    site,
    [
      {
        id: "AwsSolutions-S1",
        reason: "The bucket holds only the public build of the web app and config.json; CloudFront is its only reader (origin access identity), and nothing in it is private.",
      },
      {
        id: "AwsSolutions-CFR1",
        reason: "Haul serves no country-restricted content; the app itself is public and every API call is authorized by a Cognito token.",
      },
      {
        id: "AwsSolutions-CFR2",
        reason: "The distribution serves static files only (no origin that computes); the APIs it calls have their own throttling and authorizers. A WAF is a per-stage cost decision, not needed for static assets.",
      },
      {
        id: "AwsSolutions-CFR3",
        reason: "Static files only; requests that matter (API calls) are logged by the APIs' access logs and refined into OpenSearch.",
      },
      {
        id: "AwsSolutions-CFR4",
        reason: "The distribution uses CloudFront's default *.cloudfront.net certificate, whose TLS policy CloudFront fixes; a custom domain with its own certificate and TLSv1.2_2021 is a stage setting for later.",
      },
      {
        id: "AwsSolutions-CFR7",
        reason: "SST v2's StaticSite connects CloudFront to the bucket with an origin access identity; the bucket still blocks all public access and only that identity reads it.",
      },
    ],
    true,
  );
  // On the stack, narrowed by appliesTo: SST adds the uploader's policy only when the app finishes.
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: "AwsSolutions-IAM5",
      reason:
        "SST's site uploader writes the build into this bucket's objects (`<bucket ARN>/*`) and reads the build's zips from the CDK asset bucket's objects: object wildcards under one bucket each.",
      appliesTo: [{ regex: "/^Resource::<SiteS3Bucket[0-9A-F]+\\.Arn>\\/\\*$/g" }, { regex: "/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-.+\\/\\*$/g" }],
    },
  ]);

  return {
    /** `https://<distribution>.cloudfront.net`: the one origin the APIs allow and Cognito returns to. */
    url,
    bucket,
    distribution,
  };
}
