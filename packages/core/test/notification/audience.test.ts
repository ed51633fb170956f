import { describe, expect, it } from "vitest";
import { audienceOf, audiences } from "../../src/notification/audience.js";
import { statusAfter, toStatusFrame, ReservationStatusFrame } from "../../src/notification/customer-status.js";
import { driverMessageTypes, isDriverMessageNotification } from "../../src/notification/driver-message.js";
import { notificationTypes } from "../../src/reservation/schema.js";
import { transitions } from "../../src/reservation/status.js";
import { driverNotification } from "./support.js";

describe("who hears which reservation event", () => {
  it("tells the customer of every event, and the driver only of a job given, cancelled or withdrawn", () => {
    expect(notificationTypes.filter((type) => audienceOf({ type }).customer)).toEqual([...notificationTypes]);
    expect(notificationTypes.filter((type) => audiences[type].driver)).toEqual(["reservation-confirmed", "reservation-cancelled", "reservation-withdrawn"]);
  });

  it("has a driver message for exactly the events the driver hears", () => {
    expect([...driverMessageTypes].sort()).toEqual(notificationTypes.filter((type) => audiences[type].driver).sort());
    for (const type of notificationTypes) {
      expect(isDriverMessageNotification(driverNotification({ driverId: "d6a3c0de-0000-4000-8000-000000000001", type }))).toBe(audiences[type].driver);
    }
  });

  it("gives each event the status the reservation is left in, one a transition reaches", () => {
    const reachable = new Set(Object.values(transitions).flat());
    for (const type of notificationTypes) expect(reachable.has(statusAfter[type]), type).toBe(true);
    expect(new Set(Object.values(statusAfter)).size).toBe(notificationTypes.length);
  });

  it("makes the customer's frame from the event", () => {
    const event = driverNotification({ driverId: "d6a3c0de-0000-4000-8000-000000000001", type: "reservation-picked-up", occurredAt: "2026-12-01T07:40:00.000Z" });
    const frame = toStatusFrame(event);
    expect(frame).toEqual({
      type: "reservation-status",
      eventId: event.eventId,
      reservationId: event.reservationId,
      status: "IN_TRANSIT",
      occurredAt: "2026-12-01T07:40:00.000Z",
    });
    expect(ReservationStatusFrame.parse(frame)).toEqual(frame);
  });
});
