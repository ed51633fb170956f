import { Stack } from "aws-cdk-lib";
import { CfnAuthorizer, CfnRoute, CfnStage, type IWebSocketApi } from "aws-cdk-lib/aws-apigatewayv2";
import * as iam from "aws-cdk-lib/aws-iam";
import { NagSuppressions } from "cdk-nag";
import { Construct, type IConstruct } from "constructs";
import { WebSocketApi, type Function as SstFunction, type FunctionProps, type WebSocketApiProps } from "sst/constructs";
import { throttle, type WebSocketApiDeclaration, type WebSocketRouteDeclaration } from "../packages/functions/src/declarations.js";
import type { LogRetention } from "./stage-profile.js";

/** The one action of API Gateway's management API (PostToConnection, GetConnection, DeleteConnection). */
export const manageConnectionsAction = "execute-api:ManageConnections";

/** The @connections calls, by HTTP method: POST pushes a message, GET describes a connection, DELETE closes it. */
export type ConnectionsMethod = "POST" | "GET" | "DELETE";

type SstPermissions = Parameters<WebSocketApi["attachPermissions"]>[0];

/**
 * SST's WebSocketApi, minus its one blanket grant: its constructor gives EVERY route's function
 * `execute-api:ManageConnections` on `<api>/*\/*\/@connections/*` (any stage, any method), through
 * `attachPermissions`, and no prop turns that off (`defaults.function.permissions` only adds).
 * Here that call is dropped while the construct is being built; afterwards `attachPermissions`
 * refuses outright. Functions get ManageConnections only through `grantManageConnections`, i.e.
 * only those that declare the `liveApiConnections` use (stacks/function-access.ts).
 */
class WebSocketApiWithoutBlanketGrants extends WebSocketApi {
  /** Undefined while SST's constructor runs (class fields are set after `super` returns). */
  private built: boolean | undefined;

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id, props);
    this.built = true;
  }

  override attachPermissions(permissions: SstPermissions): void {
    if (!this.built && isOnlyManageConnections(permissions)) return;
    throw new Error(
      `${this.node.path}: no permission is attached to every route's function; declare what a route uses (\`uses\` in packages/functions/src/declarations.ts) instead`,
    );
  }
}

/** Whether `permissions` is SST's own blanket grant and nothing else; anything else is not ours to drop. */
function isOnlyManageConnections(permissions: SstPermissions): boolean {
  if (!Array.isArray(permissions) || permissions.length === 0) return false;
  return permissions.every(
    (permission) => permission instanceof iam.PolicyStatement && permission.actions.length === 1 && permission.actions[0] === manageConnectionsAction,
  );
}

export interface DeclaredWebSocketApiOptions {
  /** The `$connect` authorizer's function, running the declaration's authorizer handler. */
  readonly authorizerFunction: SstFunction;
  /** Settings shared by every route's function. */
  readonly functionDefaults: FunctionProps;
  /** One route's own settings (its placement, its environment), merged over the defaults. */
  readonly routeFunctionProps?: (route: WebSocketRouteDeclaration) => FunctionProps;
  readonly accessLogRetention: LogRetention;
}

export interface DeclaredWebSocketApi {
  readonly api: WebSocketApi;
  /** `wss://<api id>.execute-api.<region>.amazonaws.com/<stage>`: what apps connect to. */
  readonly url: string;
  /** `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`: the @connections endpoint. */
  readonly callbackUrl: string;
  /** Each declared route's function, by route key. */
  readonly functions: Readonly<Record<string, SstFunction>>;
}

/**
 * An SST WebSocket API built from its declaration, as the local gateway builds its own
 * (packages/local/src/websocket/websocket-gateway.ts):
 *
 * - the declared route selection expression, and one Lambda proxy route per declared route; a
 *   route declared `returnResponse` gets a route response, so what its handler returns goes back
 *   to the sender;
 * - the Lambda REQUEST authorizer on `$connect` (API Gateway runs authorizers on `$connect` only),
 *   reading the declared identity source. WebSocket authorizers have no result cache
 *   (AuthorizerResultTtlInSeconds is for HTTP APIs only; none is set): each connection is
 *   authorized afresh, and the policy the function returns names exactly the `$connect` method
 *   ARN it was asked about, so no policy can ever be applied to a request it was not made for;
 * - access logs with SST's WebSocket fields (request and connection ids, route, status, caller
 *   IP and user agent; never the query string, which carries the token, nor headers or bodies),
 *   and execution logging and data tracing OFF, since those would log the upgrade request;
 * - the declared stage throttle (`throttle.webSocketStage`);
 * - no function granted anything by the construct itself (see WebSocketApiWithoutBlanketGrants).
 */
export function createDeclaredWebSocketApi(stack: Stack, declaration: WebSocketApiDeclaration, options: DeclaredWebSocketApiOptions): DeclaredWebSocketApi {
  const api = new WebSocketApiWithoutBlanketGrants(stack, declaration.name, {
    cdk: { webSocketApi: { routeSelectionExpression: declaration.routeSelectionExpression } },
    authorizer: {
      type: "lambda",
      name: `${declaration.name}Authorizer`,
      function: options.authorizerFunction,
      identitySource: [...declaration.authorizer.identitySource],
    },
    defaults: { function: options.functionDefaults },
    accessLog: { retention: options.accessLogRetention },
    routes: Object.fromEntries(
      Object.entries<WebSocketRouteDeclaration>(declaration.routes).map(([routeKey, route]) => [
        routeKey,
        {
          function: { ...options.routeFunctionProps?.(route), handler: route.handler },
          returnResponse: route.returnResponse ?? false,
        },
      ]),
    ),
  });

  const stage = api.cdk.webSocketStage.node.defaultChild as CfnStage;
  // Execution logs at INFO would hold the `$connect` request; data tracing, whole messages.
  stage.addPropertyOverride("DefaultRouteSettings.LoggingLevel", "OFF");
  stage.addPropertyOverride("DefaultRouteSettings.DataTraceEnabled", false);
  // The declared stage throttle, as the local gateway applies it.
  stage.addPropertyOverride("DefaultRouteSettings.ThrottlingBurstLimit", throttle.webSocketStage.burstLimit);
  stage.addPropertyOverride("DefaultRouteSettings.ThrottlingRateLimit", throttle.webSocketStage.rateLimit);

  const functions = Object.fromEntries(
    Object.keys(declaration.routes).map((routeKey) => {
      const fn = api.getFunction(routeKey);
      if (!fn) throw new Error(`WebSocket route ${routeKey} has no function`);
      return [routeKey, fn];
    }),
  );
  return { api, url: api.url, callbackUrl: api.cdk.webSocketStage.callbackUrl, functions };
}

/**
 * Lets `grantee` call the API's @connections with `methods` (default POST: push only), on this
 * API's stage and nothing else: `arn:<partition>:execute-api:<region>:<account>:<api id>/<stage>/<method>/@connections/*`.
 * The connection id is the last part, unknown until a client connects, hence the one `*`; the
 * grantee's cdk-nag IAM5 finding for exactly these resources is suppressed with that reason.
 */
export function grantManageConnections(
  { webSocketApi, stageName }: { readonly webSocketApi: IWebSocketApi; readonly stageName: string },
  grantee: iam.IGrantable,
  methods: readonly ConnectionsMethod[] = ["POST"],
): iam.Grant {
  const stack = Stack.of(webSocketApi);
  const resourceArns = [...new Set(methods)].map((method) =>
    stack.formatArn({ service: "execute-api", resource: webSocketApi.apiId, resourceName: `${stageName}/${method}/@connections/*` }),
  );
  const grant = iam.Grant.addToPrincipal({ grantee, actions: [manageConnectionsAction], resourceArns });
  if (grantee instanceof Construct) {
    NagSuppressions.addResourceSuppressions(
      grantee,
      [
        {
          id: "AwsSolutions-IAM5",
          reason: `${manageConnectionsAction} on the LiveApi's own stage only, for ${methods.join(", ")} on @connections: the one wildcard is the connection id, which exists only once a client connects.`,
          appliesTo: [{ regex: `/^Resource::arn:<AWS::Partition>:execute-api:[^:]+:[^:]+:[^/]+\\/${escapeRegExp(stageName)}\\/(POST|GET|DELETE)\\/@connections\\/\\*$/` }],
        },
      ],
      true,
    );
  }
  return grant;
}

/**
 * API Gateway runs a WebSocket API's authorizer on `$connect` only. Every other route is a
 * message on (or the end of) a connection that authorizer admitted, and its handler reads the
 * caller from that connection's authorizer context (packages/functions/src/shared/websocket-handler.ts
 * fails without one); say so where cdk-nag looks.
 */
export function suppressAuthorizedConnectionRouteFindings(api: IConstruct, declaration: WebSocketApiDeclaration): void {
  const cfnRoutes = api.node.findAll().filter((child): child is CfnRoute => child instanceof CfnRoute);
  // The reason below holds only while `$connect` itself is authorized.
  const connect = cfnRoutes.find((candidate) => candidate.routeKey === "$connect");
  const authorizers = api.node.findAll().filter((child) => child instanceof CfnAuthorizer);
  if (!connect || connect.authorizationType !== "CUSTOM" || authorizers.length !== 1) {
    throw new Error(`${declaration.name}: $connect must run behind its one Lambda authorizer`);
  }
  for (const [routeKey, route] of Object.entries<WebSocketRouteDeclaration>(declaration.routes)) {
    if (routeKey === "$connect") continue;
    const cfnRoute = cfnRoutes.find((candidate) => candidate.routeKey === routeKey);
    if (!cfnRoute) throw new Error(`No synthesized route for ${routeKey}`);
    NagSuppressions.addResourceSuppressions(cfnRoute, [
      {
        id: "AwsSolutions-APIG4",
        reason: `API Gateway authorizes WebSocket connections once, at $connect (the ${declaration.name} Lambda REQUEST authorizer checks the Cognito token); ${routeKey} ("${route.summary}") only runs on a connection that authorizer admitted, and its handler takes the caller from the connection's authorizer context.`,
      },
    ]);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
