import { use, type StackContext } from "sst/constructs";
import { reservationApi } from "../packages/functions/src/declarations.js";
import { Auth } from "./Auth.js";
import { Data } from "./Data.js";
import { createDeclaredHttpApi, suppressPublicRouteFindings } from "./declared-http-api.js";
import { suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { stageProfile } from "./stage-profile.js";

export function ReservationApi({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  const network = use(Network);
  const data = use(Data);
  const auth = use(Auth);

  const api = createDeclaredHttpApi(stack, reservationApi, {
    jwt: { issuer: auth.issuerUrl, audience: [auth.userPoolClientId] },
    accessLogRetention: profile.logRetention,
    functionDefaults: {
      vpc: network.vpc,
      vpcSubnets: network.functionSubnets,
      securityGroups: [network.functionSecurityGroup],
      environment: {
        POWERTOOLS_SERVICE_NAME: "reservation",
        ...data.environment.mysql,
        ...data.environment.redis,
        ...data.environment.tables,
      },
    },
  });

  const functions = Object.keys(reservationApi.routes).map((routeKey) => {
    const fn = api.getFunction(routeKey);
    if (!fn) throw new Error(`Route ${routeKey} has no function`);
    return fn;
  });
  // Exactly what the environment points at: read the secrets, read and write the tables.
  for (const fn of functions) {
    data.mysql.adminSecret.grantRead(fn);
    data.mysql.readerSecret.grantRead(fn);
    data.redis.authTokenSecret.grantRead(fn);
    for (const table of Object.values(data.tables)) table.cdk.table.grantReadWriteData(fn);
  }

  stack.addOutputs({ [`${reservationApi.name}Url`]: api.url });

  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings(functions);
  suppressPublicRouteFindings(api, reservationApi);

  return { api };
}
