import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { use, type Function as SstFunction, type StackContext } from "sst/constructs";
import { declaredFunctionName, type HttpApiDeclaration, type RouteDeclaration } from "../packages/functions/src/declarations.js";
import { Auth } from "./Auth.js";
import { Data } from "./Data.js";
import { createDeclaredHttpApi, suppressPublicRouteFindings, type DeclaredHttpApi } from "./declared-http-api.js";
import { functionAccess, type FunctionAccessSources } from "./function-access.js";
import { refinedLogRetentionName, subscribeAccessLogs, subscribeFunctionLogs, type LogRefiner } from "./log-subscriptions.js";
import { suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { Search } from "./Search.js";
import { stageProfile } from "./stage-profile.js";
import { Web } from "./Web.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

export interface ServiceHttpApiOptions {
  /** Given only to stacks whose routes start the workflow. */
  readonly reservationWorkflow?: IStateMachine;
  /** Given only to the stack whose routes put into the driver-positions stream (it builds the stream). */
  readonly positionsStream?: FunctionAccessSources["positionsStream"];
  /** The Observability stack's log refiner, which every function's and the access log's groups are subscribed to. */
  readonly logRefiner: LogRefiner;
}

/**
 * The stack body every Haul HTTP service shares: its API from the declaration behind the Cognito
 * JWT authorizer, each route's function reaching exactly what the route declares it uses (VPC,
 * environment, grants), its function and access log groups subscribed to the log refiner, the
 * `<Name>Url` output, and the reviewed cdk-nag suppressions.
 */
export function createServiceHttpApi(
  { stack }: StackContext,
  declaration: HttpApiDeclaration,
  options: ServiceHttpApiOptions,
): { api: DeclaredHttpApi; functions: SstFunction[] } {
  const auth = use(Auth);
  const access = functionAccess({
    network: use(Network),
    data: use(Data),
    search: use(Search),
    reservationWorkflow: options.reservationWorkflow,
    positionsStream: options.positionsStream,
  });

  const api = createDeclaredHttpApi(stack, declaration, {
    jwt: { issuer: auth.issuerUrl, audience: [auth.userPoolClientId] },
    accessLogRetention: refinedLogRetentionName(stack.stage),
    // The web app's site and any origin the stage adds: exact, never "*".
    allowOrigins: [use(Web).url, ...stageProfile(stack.stage).web.extraOrigins],
    // The declaration's service names every route's function (logs, metrics, traces).
    functionDefaults: { environment: powertoolsEnvironment(declaration.service) },
    // Each route's function reaches what its handler uses, and nothing else.
    routeFunctionProps: (route) => access.props(route.uses),
  });

  const functions = Object.entries<RouteDeclaration>(declaration.routes).map(([routeKey, route]) => {
    const fn = api.getFunction(routeKey);
    if (!fn) throw new Error(`Route ${routeKey} has no function`);
    access.grant(fn, route.uses, declaredFunctionName(declaration.name, routeKey));
    return fn;
  });

  subscribeFunctionLogs(functions, options.logRefiner);
  subscribeAccessLogs(api, options.logRefiner);

  stack.addOutputs({ [`${declaration.name}Url`]: api.url });

  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings(functions);
  suppressPublicRouteFindings(api, declaration);

  return { api, functions };
}
