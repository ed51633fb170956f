import { CfnRoute, CfnStage } from "aws-cdk-lib/aws-apigatewayv2";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";
import { Api, type ApiJwtAuthorizer, type ApiRouteProps, type FunctionProps, type Stack } from "sst/constructs";
import { cors, routeThrottle, throttle, type HttpApiDeclaration, type RouteDeclaration } from "../packages/functions/src/declarations.js";
import type { LogRetention } from "./stage-profile.js";

const jwtAuthorizer = "jwt";
type AuthorizerKey = typeof jwtAuthorizer;
export type DeclaredHttpApi = Api<Record<AuthorizerKey, ApiJwtAuthorizer>>;

export interface DeclaredHttpApiOptions {
  /** The Cognito issuer and the app client ids whose tokens the API accepts. */
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  /** Settings shared by every route's function. */
  readonly functionDefaults: FunctionProps;
  /** One route's own settings (its placement, its environment), merged over the defaults. */
  readonly routeFunctionProps?: (route: RouteDeclaration) => FunctionProps;
  readonly accessLogRetention: LogRetention;
  /** The web app's exact origins (CORS); the declaration holds the rest of the CORS rules. */
  readonly allowOrigins: readonly string[];
}

/**
 * An SST HTTP API built from its declaration: one function route per declared route, the JWT
 * authorizer unless a route is declared `none`, the declared CORS for the given origins, and the
 * declared throttling: the stage default and one route setting per route. The local gateway reads the
 * same declaration, so the two expose the same routes and limits.
 */
export function createDeclaredHttpApi(stack: Stack, declaration: HttpApiDeclaration, options: DeclaredHttpApiOptions): DeclaredHttpApi {
  const routes: Record<string, ApiRouteProps<AuthorizerKey>> = {};
  for (const [routeKey, route] of Object.entries(declaration.routes)) {
    routes[routeKey] = {
      function: { ...options.routeFunctionProps?.(route), handler: route.handler },
      authorizer: route.auth === "none" ? "none" : jwtAuthorizer,
    };
  }

  const api = new Api<Record<AuthorizerKey, ApiJwtAuthorizer>>(stack, declaration.name, {
    authorizers: {
      [jwtAuthorizer]: {
        type: "jwt",
        jwt: { issuer: options.jwt.issuer, audience: [...options.jwt.audience] },
      },
    },
    defaults: {
      authorizer: jwtAuthorizer,
      function: options.functionDefaults,
      throttle: { burst: throttle.httpRouteDefault.burstLimit, rate: throttle.httpRouteDefault.rateLimit },
    },
    cors: {
      allowOrigins: allowedOrigins(options.allowOrigins),
      allowMethods: [...cors.allowMethods],
      allowHeaders: [...cors.allowHeaders],
      exposeHeaders: [...cors.exposeHeaders],
      maxAge: `${cors.maxAgeSeconds} seconds`,
    },
    accessLog: { retention: options.accessLogRetention },
    routes,
  });
  throttleEveryRoute(api, declaration);
  return api;
}

/**
 * One route setting per declared route, so each route's limits are explicit in the template.
 * CloudFormation refuses a route setting for a route it has not created yet: the stage waits for them.
 */
function throttleEveryRoute(api: DeclaredHttpApi, declaration: HttpApiDeclaration): void {
  const stage = api.cdk.httpApi.defaultStage?.node.defaultChild;
  if (!(stage instanceof CfnStage)) throw new Error(`${declaration.name} has no default stage to throttle`);
  // A JSON map in CloudFormation, passed through as written: hence CloudFormation's own key names.
  stage.routeSettings = Object.fromEntries(
    Object.keys(declaration.routes).map((routeKey) => {
      const limits = routeThrottle(declaration.name, routeKey);
      return [routeKey, { ThrottlingBurstLimit: limits.burstLimit, ThrottlingRateLimit: limits.rateLimit }];
    }),
  );
  for (const route of api.node.findAll().filter((child) => child instanceof CfnRoute)) stage.addDependency(route);
}

/** Exact origins only: "*" would let any site call the APIs with a user's token in hand. */
function allowedOrigins(origins: readonly string[]): string[] {
  if (origins.length === 0 || origins.includes("*")) throw new Error(`An HTTP API allows exact web origins only, got ${JSON.stringify(origins)}`);
  return [...origins];
}

/** Routes declared `auth: none` are public on purpose; say so where cdk-nag looks. */
export function suppressPublicRouteFindings(api: IConstruct, declaration: HttpApiDeclaration): void {
  const cfnRoutes = api.node.findAll().filter((child) => child instanceof CfnRoute);
  for (const [routeKey, route] of Object.entries(declaration.routes)) {
    if (route.auth !== "none") continue;
    const cfnRoute = cfnRoutes.find((candidate) => candidate.routeKey === routeKey);
    if (!cfnRoute) throw new Error(`No synthesized route for ${routeKey}`);
    NagSuppressions.addResourceSuppressions(cfnRoute, [
      {
        id: "AwsSolutions-APIG4",
        reason: `${routeKey} is public by declaration (auth: none in packages/functions/src/declarations.ts: "${route.summary}"); every route that touches user data is declared jwt.`,
      },
    ]);
  }
}
