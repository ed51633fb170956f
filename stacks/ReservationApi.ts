import { use, type StackContext } from "sst/constructs";
import { reservationApi, type RouteDeclaration } from "../packages/functions/src/declarations.js";
import { Auth } from "./Auth.js";
import { Data } from "./Data.js";
import { createDeclaredHttpApi, suppressPublicRouteFindings } from "./declared-http-api.js";
import { functionAccess } from "./function-access.js";
import { suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { stageProfile } from "./stage-profile.js";
import { Workflow } from "./Workflow.js";

export function ReservationApi({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  const network = use(Network);
  const data = use(Data);
  const auth = use(Auth);
  const workflow = use(Workflow);
  const access = functionAccess({ network, data, reservationWorkflow: workflow.stateMachine });

  const api = createDeclaredHttpApi(stack, reservationApi, {
    jwt: { issuer: auth.issuerUrl, audience: [auth.userPoolClientId] },
    accessLogRetention: profile.logRetention,
    functionDefaults: { environment: { POWERTOOLS_SERVICE_NAME: "reservation" } },
    // Each route's function reaches what its handler uses, and nothing else.
    routeFunctionProps: (route) => access.props(route.uses),
  });

  const functions = Object.entries<RouteDeclaration>(reservationApi.routes).map(([routeKey, route]) => {
    const fn = api.getFunction(routeKey);
    if (!fn) throw new Error(`Route ${routeKey} has no function`);
    access.grant(fn, route.uses);
    return fn;
  });

  stack.addOutputs({ [`${reservationApi.name}Url`]: api.url });

  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings(functions);
  suppressPublicRouteFindings(api, reservationApi);

  return { api };
}
