/** The frame of every signed-in page: a skip link, the role's navigation, who is signed in, and the page. */
import { NavLink, Outlet } from "react-router-dom";
import { useHaul, useSession } from "../app-context.js";
import type { Role } from "../auth/session.js";
import { DriverInboxProvider, UnreadBadge } from "../pages/driver/inbox-state.js";

export const navigation: Readonly<Record<Role, ReadonlyArray<{ readonly to: string; readonly label: string }>>> = {
  customer: [
    { to: "/customer/reserve", label: "Reserve a truck" },
    { to: "/customer/reservations", label: "My reservations" },
  ],
  driver: [
    { to: "/driver/assignments", label: "Assignments" },
    { to: "/driver/inbox", label: "Inbox" },
    { to: "/driver/messages", label: "Message search" },
  ],
  operator: [
    { to: "/ops/fleet", label: "Fleet" },
    { to: "/ops/executions", label: "Executions" },
    { to: "/ops/messages", label: "Messages" },
    { to: "/ops/logs", label: "Logs" },
    { to: "/ops/stats", label: "Request stats" },
  ],
};

export function Layout() {
  const session = useSession();
  const { signOut, config } = useHaul();
  const frame = (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <span className="brand">Haul</span>
        <nav aria-label="Main">
          <ul>
            {navigation[session.role].map((item) => (
              <li key={item.to}>
                <NavLink to={item.to}>
                  {item.label}
                  {session.role === "driver" && item.to === "/driver/inbox" && <> <UnreadBadge /></>}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {session.name ?? session.userId} ({session.role}
            {config.stage === "local" ? ", local" : ""})
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
  // Drivers keep one live connection app-wide: the inbox and the badge read it.
  return session.role === "driver" ? <DriverInboxProvider>{frame}</DriverInboxProvider> : frame;
}
