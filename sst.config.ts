import type { SSTConfig } from "sst";
import { LoggingFormat } from "aws-cdk-lib/aws-lambda";
import { Auth } from "./stacks/Auth.js";
import { Data } from "./stacks/Data.js";
import { LiveApi } from "./stacks/LiveApi.js";
import { Messaging } from "./stacks/Messaging.js";
import { Network } from "./stacks/Network.js";
import { NotificationApi } from "./stacks/NotificationApi.js";
import { Observability } from "./stacks/Observability.js";
import { QueryApi } from "./stacks/QueryApi.js";
import { ReservationApi } from "./stacks/ReservationApi.js";
import { Search } from "./stacks/Search.js";
import { stageProfile } from "./stacks/stage-profile.js";
import { Tracking } from "./stacks/Tracking.js";
import { Web } from "./stacks/Web.js";
import { WebConfig } from "./stacks/WebConfig.js";
import { Workflow } from "./stacks/Workflow.js";

export default {
  config(input) {
    return {
      name: "haul",
      // `--region` wins (SST applies it after this), then AWS_REGION, then us-east-1.
      region: input.region ?? process.env.AWS_REGION ?? "us-east-1",
    };
  },
  stacks(app) {
    // Before any stack: SST copies app-wide defaults into each stack as it is created.
    app.setDefaultRemovalPolicy(stageProfile(app.stage).removalPolicy);
    app.setDefaultFunctionProps({
      runtime: "nodejs22.x",
      architecture: "arm_64",
      tracing: "active",
      loggingFormat: LoggingFormat.JSON,
    });
    // Web first (it uses nothing; the APIs' CORS and Cognito's callback use its URL), WebConfig last
    // (config.json needs every API's URL): no cycle between the site and the APIs.
    app.stack(Web).stack(Network).stack(Data).stack(Search).stack(Auth).stack(Observability).stack(LiveApi).stack(Messaging).stack(Workflow).stack(ReservationApi).stack(QueryApi).stack(NotificationApi).stack(Tracking).stack(WebConfig);
  },
} satisfies SSTConfig;
