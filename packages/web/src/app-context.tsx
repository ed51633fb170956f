/**
 * What every page reads: the run-time configuration, the signed-in person, and one API client per
 * Haul service, all sending that person's token.
 */
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";
import { createApiClient, type ApiRequest } from "./api/client.js";
import { clearSession, loadSession, saveSession, type Session } from "./auth/session.js";
import type { WebConfig } from "./config.js";

export interface HaulApis {
  readonly reservation: ApiRequest;
  readonly query: ApiRequest;
  readonly notification: ApiRequest;
  readonly tracking: ApiRequest;
  readonly observability: ApiRequest;
}

export interface Haul {
  readonly config: WebConfig;
  readonly session: Session | undefined;
  readonly api: HaulApis;
  signIn(session: Session): void;
  signOut(): void;
}

const HaulContext = createContext<Haul | null>(null);

export function HaulProvider({ config, children, fetchImpl }: { config: WebConfig; children: ReactNode; fetchImpl?: typeof fetch }) {
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const value = useMemo<Haul>(() => {
    const token = () => session?.token;
    const client = (base: string) => createApiClient(base, token, fetchImpl);
    return {
      config,
      session,
      api: {
        reservation: client(config.apis.reservation),
        query: client(config.apis.query),
        notification: client(config.apis.notification),
        tracking: client(config.apis.tracking),
        observability: client(config.apis.observability),
      },
      signIn(next) {
        saveSession(next);
        setSession(next);
      },
      signOut() {
        clearSession();
        setSession(undefined);
      },
    };
  }, [config, session, fetchImpl]);
  return <HaulContext.Provider value={value}>{children}</HaulContext.Provider>;
}

export function useHaul(): Haul {
  const haul = useContext(HaulContext);
  if (!haul) throw new Error("useHaul outside HaulProvider");
  return haul;
}

/** The signed-in session; pages behind `RequireRole` may rely on it. */
export function useSession(): Session {
  const { session } = useHaul();
  if (!session) throw new Error("useSession without a signed-in person");
  return session;
}
