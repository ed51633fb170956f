/**
 * Cognito's hosted UI with the authorization code flow and PKCE: no secret in the browser. The
 * callback (`/auth/callback`) trades the code for tokens; the id token is what the APIs take.
 */
import type { CognitoAuthConfig } from "../config.js";

const verifierKey = "haul.pkce";

export async function startCognitoSignIn(auth: CognitoAuthConfig): Promise<void> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem(verifierKey, verifier);
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const url = new URL("/oauth2/authorize", auth.domain);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: callbackUrl(),
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
  }).toString();
  window.location.assign(url.toString());
}

/** Trades the callback's code for the id token. */
export async function finishCognitoSignIn(auth: CognitoAuthConfig, code: string): Promise<string> {
  const verifier = sessionStorage.getItem(verifierKey);
  sessionStorage.removeItem(verifierKey);
  if (!verifier) throw new Error("The sign-in was not started from this tab");
  const response = await fetch(new URL("/oauth2/token", auth.domain), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: auth.clientId, code, redirect_uri: callbackUrl(), code_verifier: verifier }),
  });
  if (!response.ok) throw new Error(`Cognito refused the code (${response.status})`);
  const { id_token: idToken } = (await response.json()) as { id_token?: string };
  if (!idToken) throw new Error("Cognito returned no id token");
  return idToken;
}

export function callbackUrl(): string {
  return new URL("/auth/callback", window.location.origin).toString();
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
