// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import MessageSearchPage from "../src/pages/driver/MessageSearchPage.js";
import MessagesPage from "../src/pages/operator/MessagesPage.js";
import { renderAs, stubFetch } from "./role-page-harness.js";

const driverId = "d0000000-0000-4000-8000-000000000001";
const reservationId = "11111111-1111-4111-8111-111111111111";

afterEach(cleanup);

const page = (title: string, nextCursor: string | null) => ({
  items: [
    {
      eventId: `${reservationId}:${title}`,
      type: "reservation-cancelled",
      driverId,
      reservationId,
      title,
      text: "The customer cancelled the job.",
      createdAt: "2027-02-01T08:00:00.000Z",
      read: true,
      readAt: "2027-02-01T09:00:00.000Z",
    },
  ],
  nextCursor,
});

describe("message search", () => {
  it("sends the driver's filters to their own messages and pages on with the cursor", async () => {
    const { fetchImpl, calls } = stubFetch([
      { path: `notification.test/drivers/${driverId}/messages`, body: (url: URL) => (url.searchParams.get("cursor") ? page("Second page", null) : page("First page", "c2")) },
    ]);
    renderAs("driver", driverId, <MessageSearchPage />, { fetchImpl });
    await screen.findByText("First page");
    expect(screen.queryByLabelText("Driver id")).toBeNull();

    fireEvent.change(screen.getByLabelText("Words"), { target: { value: " pallets " } });
    fireEvent.change(screen.getByLabelText("Reservation id"), { target: { value: reservationId } });
    fireEvent.change(screen.getByLabelText("Type"), { target: { value: "reservation-cancelled" } });
    fireEvent.change(screen.getByLabelText("Read or not"), { target: { value: "false" } });
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2027-02-01T00:00" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(calls).toHaveLength(2));
    const query = Object.fromEntries(calls[1]!.url.searchParams);
    expect(query).toEqual({ q: "pallets", reservationId, type: "reservation-cancelled", unread: "false", from: new Date("2027-02-01T00:00").toISOString() });

    fireEvent.click(await screen.findByRole("button", { name: "More messages" }));
    await screen.findByText("Second page");
    expect(calls[2]!.url.searchParams.get("cursor")).toBe("c2");
    expect(calls[2]!.url.searchParams.get("q")).toBe("pallets");
    expect(screen.getByText("First page")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "More messages" })).toBeNull();
  });

  it("lets operators search every driver's messages, or one driver's", async () => {
    const { fetchImpl, calls } = stubFetch([{ path: "notification.test/messages", body: page("Any driver", null) }]);
    renderAs("operator", "o1", <MessagesPage />, { fetchImpl });
    await screen.findByText("Any driver");
    fireEvent.change(screen.getByLabelText("Driver id"), { target: { value: driverId } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(calls.at(-1)?.url.searchParams.get("driverId")).toBe(driverId));
  });
});
