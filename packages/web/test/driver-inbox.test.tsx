// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Layout } from "../src/components/Layout.js";
import InboxPage from "../src/pages/driver/InboxPage.js";
import { DriverInboxProvider, UnreadBadge } from "../src/pages/driver/inbox-state.js";
import { renderAs, stubFetch } from "./role-page-harness.js";

const driverId = "d0000000-0000-4000-8000-000000000001";

/** Stands in for the browser's WebSocket: the test opens it and pushes frames. */
class FakeSocket {
  static readonly OPEN = 1;
  static readonly opened: FakeSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  push(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

function message(id: string, read: boolean, title: string) {
  const reservationId = `${id}1111111-1111-4111-8111-111111111111`.slice(0, 36);
  return {
    eventId: `${reservationId}:reservation-confirmed`,
    type: "reservation-confirmed",
    driverId,
    reservationId,
    title,
    text: `Pick up ${title}`,
    pickup: { address: "Alexanderplatz 1, Berlin", location: { lat: 52.52, lon: 13.4 } },
    dropoff: { address: "Am Neuen Markt 1, Potsdam", location: { lat: 52.39, lon: 13.06 } },
    window: { start: "2027-03-01T08:00:00.000Z", end: "2027-03-01T12:00:00.000Z" },
    cargo: { weightKg: 800, description: "Machine parts" },
    createdAt: "2027-02-01T08:00:00.000Z",
    read,
    readAt: read ? "2027-02-01T09:00:00.000Z" : null,
  };
}

const unreadOne = message("a", false, "New job: first");
const readOne = message("b", true, "New job: second");
const pushed = message("c", false, "New job: pushed live");

beforeEach(() => {
  FakeSocket.opened.length = 0;
  vi.stubGlobal("WebSocket", FakeSocket);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("the driver's inbox", () => {
  it("adds a pushed message once, announces it, counts it unread, and marking it read lowers the count", async () => {
    const { fetchImpl, calls } = stubFetch([
      {
        path: `notification.test/drivers/${driverId}/messages`,
        body: (url: URL) => ({ items: url.searchParams.get("unread") === "true" ? [unreadOne] : [unreadOne, readOne], nextCursor: null }),
      },
      { method: "POST", path: `notification.test/drivers/${driverId}/messages/read`, body: { read: [pushed.eventId], notFound: [] } },
    ]);
    renderAs(
      "driver",
      driverId,
      <DriverInboxProvider>
        <nav>
          Inbox <UnreadBadge />
        </nav>
        <InboxPage />
      </DriverInboxProvider>,
      { fetchImpl },
    );

    await screen.findByText("New job: second");
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("1 unread"));
    expect(screen.getByTestId("unread-badge").textContent).toBe("1 unread");
    const socket = FakeSocket.opened[0]!;
    expect(new URL(socket.url).searchParams.get("token")).toBe("test-token");

    act(() => {
      socket.open();
      socket.push({ type: "driver-message", message: pushed, correlationId: "c-1" });
      socket.push({ type: "driver-message", message: pushed });
    });
    expect(screen.getByTestId("unread-count").textContent).toBe("2 unread");
    expect(screen.getByTestId("unread-badge").textContent).toBe("2 unread");
    expect(screen.getByTestId("announcement").getAttribute("aria-live")).toBe("polite");
    expect(screen.getByTestId("announcement").textContent).toBe("New message: New job: pushed live");
    const items = screen.getAllByRole("listitem");
    expect(items).toHaveLength(3);
    expect(within(items[0]!).getByText("Unread")).toBeTruthy();
    expect(within(items[0]!).getByRole("heading").textContent).toContain("New job: pushed live");

    fireEvent.click(screen.getByRole("button", { name: "Mark read: New job: pushed live" }));
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("1 unread"));
    expect(calls.find((call) => call.method === "POST")?.body).toEqual({ messageIds: [pushed.eventId] });
    expect(within(screen.getAllByRole("listitem")[0]!).getByText("Read")).toBeTruthy();
  });

  it("shows the unread count on the Inbox link of the driver's navigation, on any page", async () => {
    const { fetchImpl } = stubFetch([{ path: `notification.test/drivers/${driverId}/messages`, body: { items: [unreadOne], nextCursor: null } }]);
    renderAs("driver", driverId, <Layout />, { fetchImpl });
    expect((await screen.findByRole("link", { name: "Inbox 1 unread" })).getAttribute("href")).toBe("/driver/inbox");
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it("keeps a pushed message in the count when the count was read before the message was stored", async () => {
    // The count's reply is held until the push has come: it was read before the message was stored.
    let answerCount!: () => void;
    const countAnswered = new Promise<void>((resolve) => (answerCount = resolve));
    const fetchImpl = (async () => {
      await countAnswered;
      return new Response(JSON.stringify({ items: [unreadOne], nextCursor: null }), { headers: { "content-type": "application/json" } });
    }) as unknown as typeof fetch;
    renderAs("driver", driverId, <Layout />, { fetchImpl });
    const socket = FakeSocket.opened[0]!;
    act(() => {
      socket.open();
      socket.push({ type: "driver-message", message: pushed });
    });
    expect((await screen.findByRole("link", { name: "Inbox 1 unread" })).getAttribute("href")).toBe("/driver/inbox");

    answerCount();
    expect(await screen.findByRole("link", { name: "Inbox 2 unread" })).toBeTruthy();
  });
});
