/**
 * The signed-in person: their id token (Cognito's, or the local issuer's in the local cloud) kept
 * in sessionStorage for this tab, and what the app reads from it. The APIs verify the token; the app
 * only decodes it to know whom to show what.
 */
export type Role = "customer" | "driver" | "operator";

export interface Session {
  readonly token: string;
  readonly userId: string;
  readonly role: Role;
  readonly name?: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

const storageKey = "haul.session";
// The most privileged wins when a token names several groups, as the APIs decide.
const rolesByPrivilege: readonly Role[] = ["operator", "driver", "customer"];

export function sessionFromToken(token: string, name?: string): Session {
  const [, payload] = token.split(".");
  if (!payload) throw new Error("Not a JWT");
  const claims = JSON.parse(decodeBase64Url(payload)) as { sub?: string; exp?: number; "cognito:groups"?: string[]; name?: string; email?: string };
  const groups = claims["cognito:groups"] ?? [];
  const role = rolesByPrivilege.find((candidate) => groups.includes(candidate));
  if (!claims.sub || !role || typeof claims.exp !== "number") throw new Error("The token names no user, role or expiry");
  const displayName = name ?? claims.name ?? claims.email;
  return { token, userId: claims.sub, role, expiresAt: claims.exp, ...(displayName ? { name: displayName } : {}) };
}

export function loadSession(storage: Storage = sessionStorage, now = Date.now()): Session | undefined {
  const text = storage.getItem(storageKey);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as Session;
    if (session.expiresAt * 1000 <= now) {
      storage.removeItem(storageKey);
      return undefined;
    }
    return session;
  } catch {
    storage.removeItem(storageKey);
    return undefined;
  }
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(storageKey, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(storageKey);
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
