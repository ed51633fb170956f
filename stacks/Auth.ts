import { Duration } from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import { NagSuppressions } from "cdk-nag";
import { Cognito, use, type StackContext } from "sst/constructs";
// Type-only: the domain module would drag MySQL into synthesis; `satisfies` keeps the lists in step.
import type { Role } from "@haul/core/user";
import { suppressSstInternalFindings } from "./nag-suppressions.js";
import { stageProfile } from "./stage-profile.js";
import { Web } from "./Web.js";

/** One Cognito group per role, named as the role: the `cognito:groups` claim carries it. */
const roleGroups = {
  customer: "Reserves trucks and follows their deliveries",
  driver: "Drives reserved trucks and reports positions",
  operator: "Runs the service and sees every reservation",
} as const satisfies Record<Role, string>;

export function Auth({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  // The web app signs in through the hosted UI and comes back to its own /auth/callback.
  const webOrigins = [use(Web).url, ...profile.web.extraOrigins];

  const users = new Cognito(stack, "Users", {
    login: ["email"],
    // Haul authorizes with user pool tokens only; no AWS credentials are handed to browsers or apps.
    identityPoolFederation: false,
    cdk: {
      userPool: {
        selfSignUpEnabled: true,
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        autoVerify: { email: true },
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
          tempPasswordValidity: Duration.days(3),
        },
        mfa: cognito.Mfa.OPTIONAL,
        mfaSecondFactor: { otp: true, sms: false },
        // Threat protection (compromised credentials, adaptive sign-in) needs the Plus plan.
        featurePlan: cognito.FeaturePlan.PLUS,
        standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        deletionProtection: profile.deletionProtection,
      },
      userPoolClient: {
        // A public client (mobile and browser apps): no secret, SRP so passwords never travel.
        generateSecret: false,
        authFlows: { userSrp: true },
        preventUserExistenceErrors: true,
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
        // The web app: authorization code with PKCE through the hosted UI (packages/web/src/auth/cognito.ts).
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
          callbackUrls: webOrigins.map((origin) => `${origin}/auth/callback`),
          logoutUrls: webOrigins.map((origin) => `${origin}/`),
        },
      },
    },
  });

  for (const [role, description] of Object.entries(roleGroups)) {
    users.cdk.userPool.addGroup(`${role}Group`, { groupName: role, description });
  }

  // The hosted UI's domain; the prefix is unique per account and region, as Cognito requires.
  const hostedUi = users.cdk.userPool.addDomain("HostedUi", {
    cognitoDomain: { domainPrefix: `${app.stage}-${app.name}-${stack.account}` },
  });
  const hostedUiUrl = hostedUi.baseUrl();

  const issuerUrl = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${users.userPoolId}`;

  stack.addOutputs({
    UserPoolId: users.userPoolId,
    UserPoolClientId: users.userPoolClientId,
    IssuerUrl: issuerUrl,
    HostedUiUrl: hostedUiUrl,
  });

  suppressSstInternalFindings(stack);
  NagSuppressions.addResourceSuppressions(users, [
    {
      id: "AwsSolutions-COG2",
      reason:
        "Customers sign themselves up from a mobile app; MFA is offered (TOTP, optional) rather than forced, and threat protection adds adaptive challenges on risky sign-ins.",
    },
  ], true);

  return {
    userPoolId: users.userPoolId,
    /** The JWT audience: the app client that issues Haul's tokens. */
    userPoolClientId: users.userPoolClientId,
    issuerUrl,
    /** `https://<prefix>.auth.<region>.amazoncognito.com`: where the web app sends people to sign in. */
    hostedUiUrl,
  };
}
