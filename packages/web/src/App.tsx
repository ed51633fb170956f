/** The routes: sign-in, then each role's pages (loaded as chunks of their own) inside the layout. */
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { Navigate, Route, Routes, useNavigate, useSearchParams } from "react-router-dom";
import { useHaul } from "./app-context.js";
import { finishCognitoSignIn } from "./auth/cognito.js";
import { sessionFromToken, type Role } from "./auth/session.js";
import { SignIn } from "./auth/SignIn.js";
import { Layout, navigation } from "./components/Layout.js";

const CustomerReserve = lazy(() => import("./pages/customer/ReservePage.js"));
const CustomerReservations = lazy(() => import("./pages/customer/ReservationsPage.js"));
const CustomerReservation = lazy(() => import("./pages/customer/ReservationPage.js"));
const DriverAssignments = lazy(() => import("./pages/driver/AssignmentsPage.js"));
const DriverInbox = lazy(() => import("./pages/driver/InboxPage.js"));
const DriverMessages = lazy(() => import("./pages/driver/MessageSearchPage.js"));
const OpsFleet = lazy(() => import("./pages/operator/FleetPage.js"));
const OpsExecutions = lazy(() => import("./pages/operator/ExecutionsPage.js"));
const OpsExecution = lazy(() => import("./pages/operator/ExecutionPage.js"));
const OpsMessages = lazy(() => import("./pages/operator/MessagesPage.js"));
const OpsLogs = lazy(() => import("./pages/operator/LogsPage.js"));
const OpsStats = lazy(() => import("./pages/operator/StatsPage.js"));

export function App() {
  const { session } = useHaul();
  if (!session) {
    return (
      <Routes>
        <Route path="/auth/callback" element={<CognitoCallback />} />
        <Route path="*" element={<SignIn />} />
      </Routes>
    );
  }
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/" element={<Navigate to={navigation[session.role][0]!.to} replace />} />
        <Route path="/auth/callback" element={<Navigate to="/" replace />} />
        <Route path="/customer/reserve" element={<ForRole role="customer"><CustomerReserve /></ForRole>} />
        <Route path="/customer/reservations" element={<ForRole role="customer"><CustomerReservations /></ForRole>} />
        <Route path="/customer/reservations/:id" element={<ForRole role="customer"><CustomerReservation /></ForRole>} />
        <Route path="/driver/assignments" element={<ForRole role="driver"><DriverAssignments /></ForRole>} />
        <Route path="/driver/inbox" element={<ForRole role="driver"><DriverInbox /></ForRole>} />
        <Route path="/driver/messages" element={<ForRole role="driver"><DriverMessages /></ForRole>} />
        <Route path="/ops/fleet" element={<ForRole role="operator"><OpsFleet /></ForRole>} />
        <Route path="/ops/executions" element={<ForRole role="operator"><OpsExecutions /></ForRole>} />
        <Route path="/ops/executions/:name" element={<ForRole role="operator"><OpsExecution /></ForRole>} />
        <Route path="/ops/messages" element={<ForRole role="operator"><OpsMessages /></ForRole>} />
        <Route path="/ops/logs" element={<ForRole role="operator"><OpsLogs /></ForRole>} />
        <Route path="/ops/stats" element={<ForRole role="operator"><OpsStats /></ForRole>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

/** A page of another role says so instead of calling APIs that would refuse it. */
function ForRole({ role, children }: { role: Role; children: ReactNode }) {
  const { session } = useHaul();
  if (session?.role !== role) {
    return (
      <section>
        <h1>Not for you</h1>
        <p>This page is for {role}s; you are signed in as a {session?.role}.</p>
      </section>
    );
  }
  return <Suspense fallback={<p aria-live="polite">Loading…</p>}>{children}</Suspense>;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
    </section>
  );
}

function CognitoCallback() {
  const { config, signIn } = useHaul();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const code = params.get("code");
    if (config.auth.kind !== "cognito" || !code) return setError("Nothing to sign in with.");
    finishCognitoSignIn(config.auth, code)
      .then((token) => {
        signIn(sessionFromToken(token));
        navigate("/", { replace: true });
      })
      .catch((failure: Error) => setError(failure.message));
  }, [config, params, signIn, navigate]);
  return <main id="main">{error ? <p role="alert">{error}</p> : <p>Signing in…</p>}</main>;
}
