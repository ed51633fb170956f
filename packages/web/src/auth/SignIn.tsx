/**
 * Signing in. Locally: the demo sign-in lists the seeded people (`GET /demo/people` of the local
 * identity server, which exists only in the local cloud) and gets a token for the one picked
 * (`POST /demo/tokens`). In AWS: Cognito's hosted UI (see cognito.ts).
 */
import { useEffect, useState } from "react";
import { useHaul } from "../app-context.js";
import { sessionFromToken } from "./session.js";
import { startCognitoSignIn } from "./cognito.js";

interface DemoPerson {
  readonly id: string;
  readonly role: "customer" | "driver" | "operator";
  readonly name: string;
  readonly email: string;
}

export function SignIn() {
  const { config } = useHaul();
  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Haul</h1>
      {config.auth.kind === "local" ? <DemoSignIn issuer={config.auth.issuer} /> : <CognitoSignIn />}
    </main>
  );
}

function CognitoSignIn() {
  const { config } = useHaul();
  return (
    <button type="button" onClick={() => config.auth.kind === "cognito" && void startCognitoSignIn(config.auth)}>
      Sign in
    </button>
  );
}

function DemoSignIn({ issuer }: { issuer: string }) {
  const { signIn } = useHaul();
  const [people, setPeople] = useState<DemoPerson[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    fetch(new URL("/demo/people", issuer))
      .then((response) => (response.ok ? (response.json() as Promise<{ people: DemoPerson[] }>) : Promise.reject(new Error(`${response.status}`))))
      .then((body) => setPeople(body.people))
      .catch((failure: Error) => setError(`The local identity server does not answer (${failure.message}).`));
  }, [issuer]);

  async function pick(person: DemoPerson) {
    setError(undefined);
    const response = await fetch(new URL("/demo/tokens", issuer), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: person.id }),
    });
    if (!response.ok) return setError(`No token for ${person.name} (${response.status}).`);
    const { token } = (await response.json()) as { token: string };
    signIn(sessionFromToken(token, person.name));
  }

  return (
    <section aria-labelledby="demo-people">
      <h2 id="demo-people">Local demo: pick a person</h2>
      <p>The local cloud has no passwords: pick one of the seeded people to act as them.</p>
      {error && <p role="alert">{error}</p>}
      {!people && !error && <p>Loading people…</p>}
      {people && (
        <ul className="people">
          {people.map((person) => (
            <li key={person.id}>
              <button type="button" onClick={() => void pick(person)}>
                {person.name} <span className="role">{person.role}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
