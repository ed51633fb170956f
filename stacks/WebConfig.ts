import { NagSuppressions } from "cdk-nag";
import { BucketDeployment, CacheControl, Source } from "aws-cdk-lib/aws-s3-deployment";
import { use, type StackContext } from "sst/constructs";
import type { WebConfig as WebConfigShape } from "../packages/web/src/config-shape.js";
import { Auth } from "./Auth.js";
import { LiveApi } from "./LiveApi.js";
import { NotificationApi } from "./NotificationApi.js";
import { suppressSstInternalFindings } from "./nag-suppressions.js";
import { Observability } from "./Observability.js";
import { QueryApi } from "./QueryApi.js";
import { ReservationApi } from "./ReservationApi.js";
import { stageProfile } from "./stage-profile.js";
import { Tracking } from "./Tracking.js";
import { Web } from "./Web.js";

/**
 * The web app's `/config.json`, written into the site's bucket once every API exists: the last
 * stack, which breaks the cycle (the APIs need the site's origin for CORS, the app needs their
 * URLs). The site's build carries no URL, so one build serves every stage. CloudFront's copy of
 * the file is invalidated on every change; browsers revalidate it (no-cache).
 */
export function WebConfig({ stack, app }: StackContext) {
  const web = use(Web);
  const auth = use(Auth);

  const config = {
    stage: app.stage,
    apis: {
      reservation: use(ReservationApi).api.url,
      query: use(QueryApi).api.url,
      notification: use(NotificationApi).api.url,
      tracking: use(Tracking).api.url,
      observability: use(Observability).api.url,
      live: use(LiveApi).url,
    },
    auth: { kind: "cognito", domain: auth.hostedUiUrl, clientId: auth.userPoolClientId },
    map: stageProfile(app.stage).web.map,
  } satisfies WebConfigShape;

  const deployment = new BucketDeployment(stack, "ConfigJson", {
    sources: [Source.jsonData("config.json", config)],
    destinationBucket: web.bucket,
    // Only config.json: the site's build in the same bucket is the Web stack's.
    prune: false,
    cacheControl: [CacheControl.noCache()],
    distribution: web.distribution,
    distributionPaths: ["/config.json"],
  });

  suppressSstInternalFindings(stack);
  NagSuppressions.addResourceSuppressions(
    stack,
    [
      {
        id: "AwsSolutions-IAM4",
        reason: "CDK's BucketDeployment handler logs through Lambda's AWS managed basic execution policy; a copy of it would only drift.",
        appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
      },
      {
        id: "AwsSolutions-IAM5",
        reason:
          "CDK's BucketDeployment handler reads its source zip from the CDK asset bucket and writes config.json into the site's bucket (object wildcards of those two buckets, with the s3:GetObject*/List*/Abort* action families CDK grants); CloudFront's CreateInvalidation has no resource-level form narrower than the distribution.",
      },
      {
        id: "AwsSolutions-L1",
        reason: "CDK's BucketDeployment handler runs the Python runtime CDK pins for its bundled AWS CLI layer; Haul's own functions run nodejs22.x.",
      },
    ],
    true,
  );

  return { config, deployment };
}
