import { CfnRoute } from "aws-cdk-lib/aws-apigatewayv2";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";
import { Api, type ApiJwtAuthorizer, type ApiRouteProps, type FunctionProps, type Stack } from "sst/constructs";
import { cors, type HttpApiDeclaration, type RouteDeclaration } from "../packages/functions/src/declarations.js";
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
 * authorizer unless a route is declared `none`, and the declared CORS for the given origins. The local gateway reads the
 * same declaration, so the two expose the same routes.
 */
export function createDeclaredHttpApi(stack: Stack, declaration: HttpApiDeclaration, options: DeclaredHttpApiOptions): DeclaredHttpApi {
  const routes: Record<string, ApiRouteProps<AuthorizerKey>> = {};
  for (const [routeKey, route] of Object.entries(declaration.routes)) {
    routes[routeKey] = {
      function: { ...options.routeFunctionProps?.(route), handler: route.handler },
      authorizer: route.auth === "none" ? "none" : jwtAuthorizer,
    };
  }

  return new Api<Record<AuthorizerKey, ApiJwtAuthorizer>>(stack, declaration.name, {
    authorizers: {
      [jwtAuthorizer]: {
        type: "jwt",
        jwt: { issuer: options.jwt.issuer, audience: [...options.jwt.audience] },
      },
    },
    defaults: { authorizer: jwtAuthorizer, function: options.functionDefaults },
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
