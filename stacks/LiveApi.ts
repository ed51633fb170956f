import { Lazy } from "aws-cdk-lib";
import type { IGrantable } from "aws-cdk-lib/aws-iam";
import { Function as SstFunction, use, type StackContext, type WebSocketApi } from "sst/constructs";
import {
  declaredFunctionName,
  liveApi,
  type WebSocketAuthorizerDeclaration,
  type WebSocketRouteDeclaration,
} from "../packages/functions/src/declarations.js";
import { Auth } from "./Auth.js";
import { Data } from "./Data.js";
import {
  createDeclaredWebSocketApi,
  grantManageConnections,
  suppressAuthorizedConnectionRouteFindings,
  type ConnectionsMethod,
} from "./declared-websocket-api.js";
import { functionAccess, type FunctionAccessSources } from "./function-access.js";
import { subscribeFunctionLogs } from "./log-subscriptions.js";
import { suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { Observability } from "./Observability.js";
import { Search } from "./Search.js";
import { stageProfile } from "./stage-profile.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

/**
 * The LiveApi: the API Gateway WebSocket API that apps hear from Haul on (drivers their messages,
 * customers their truck's position), built from the `liveApi` declaration as the local gateway is.
 * A stack of its own, so that the notification and tracking stacks both `use()` it: they get its
 * callback URL and `grantManageConnections`, which is how a function that declares the
 * `liveApiConnections` use (stacks/function-access.ts) may push, and no other may.
 *
 * `$connect` runs behind a Lambda REQUEST authorizer that verifies the Cognito token of the
 * HTTP APIs (issuer and app client from the Auth stack), read from `?token=`; the connection and
 * message routes store and answer as declared. The token reaches no log: see
 * stacks/declared-websocket-api.ts for the access log's fields and execution logging.
 */
export function LiveApi({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  const auth = use(Auth);

  // Set once the API exists: a route that declares `liveApiConnections` gets the API's own
  // callback URL (resolved at synthesis) and the grant, like a function of any later stack.
  let api: WebSocketApi | undefined;
  const builtApi = () => {
    if (!api) throw new Error("The LiveApi is not built yet");
    return api;
  };
  const ownLiveApi: NonNullable<FunctionAccessSources["liveApi"]> = {
    callbackUrl: Lazy.string({ produce: () => builtApi().cdk.webSocketStage.callbackUrl }),
    grantManageConnections: (grantee) => grantManageConnections(connectionsOf(builtApi()), grantee),
  };
  // Search: `subscribe` answers with the latest position of the reservation's truck.
  const access = functionAccess({ network: use(Network), data: use(Data), search: use(Search), liveApi: ownLiveApi });

  const authorizerDeclaration: WebSocketAuthorizerDeclaration = liveApi.authorizer;
  const authorizerProps = access.props(authorizerDeclaration.uses);
  const authorizer = new SstFunction(stack, `${liveApi.name}Authorizer`, {
    ...authorizerProps,
    handler: authorizerDeclaration.handler,
    environment: {
      ...powertoolsEnvironment(liveApi.service),
      // The same token the HTTP APIs' JWT authorizer takes: the user pool's issuer, the app client as audience.
      // HAUL_TOKEN_JWKS_URL stays unset: Cognito publishes its keys at <issuer>/.well-known/jwks.json, the default.
      HAUL_TOKEN_ISSUER: auth.issuerUrl,
      HAUL_TOKEN_AUDIENCE: auth.userPoolClientId,
      ...authorizerProps.environment,
    },
  });
  access.grant(authorizer, authorizerDeclaration.uses, declaredFunctionName(liveApi.name, "authorizer"));

  const built = createDeclaredWebSocketApi(stack, liveApi, {
    authorizerFunction: authorizer,
    accessLogRetention: profile.logRetention,
    functionDefaults: { environment: powertoolsEnvironment(liveApi.service) },
    // Each route's function reaches what its handler uses, and nothing else.
    routeFunctionProps: (route) => access.props(route.uses),
  });
  api = built.api;
  for (const [routeKey, route] of Object.entries<WebSocketRouteDeclaration>(liveApi.routes)) {
    access.grant(built.functions[routeKey]!, route.uses, declaredFunctionName(liveApi.name, routeKey));
  }

  subscribeFunctionLogs([authorizer, ...Object.values(built.functions)], use(Observability).refiner);

  // Named as the local cloud names them in .haul/outputs.json (stack `<stage>-haul-LiveApi`).
  stack.addOutputs({
    [`${liveApi.name}Url`]: built.url,
    [`${liveApi.name}CallbackUrl`]: built.callbackUrl,
  });

  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings([authorizer, ...Object.values(built.functions)]);
  suppressAuthorizedConnectionRouteFindings(built.api, liveApi);

  const webSocketApi = built.api;
  return {
    api: webSocketApi,
    /** `wss://<api id>.execute-api.<region>.amazonaws.com/<stage>` */
    url: built.url,
    /** `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`: HAUL_LIVE_API_CALLBACK_URL of pushing functions. */
    callbackUrl: built.callbackUrl,
    /**
     * `execute-api:ManageConnections` on this API's stage's `@connections/*` for `methods`
     * (default POST, i.e. push). Functions get it through their declared `liveApiConnections`
     * use: pass this stack's exports to functionAccess as `liveApi`.
     */
    grantManageConnections: (grantee: IGrantable, methods?: readonly ConnectionsMethod[]) => {
      grantManageConnections(connectionsOf(webSocketApi), grantee, methods);
    },
  };
}

/** The API and stage whose @connections a grant covers. */
function connectionsOf(api: WebSocketApi) {
  return { webSocketApi: api.cdk.webSocketApi, stageName: api.cdk.webSocketStage.stageName };
}
