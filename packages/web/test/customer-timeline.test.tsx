import { describe, expect, it } from "vitest";
import { timelineOf, type TimelineSource } from "../src/pages/customer/timeline.js";

const base: TimelineSource = {
  status: "PENDING",
  createdAt: "2027-01-01T08:00:00.000Z",
  pickedUpAt: null,
  deliveredAt: null,
  workflow: { phase: "deciding", settled: false, since: "2027-01-01T08:00:00.000Z", executionName: "r1" },
};
const shape = (source: TimelineSource, seen = {}) => timelineOf(source, seen).map((step) => [step.label, step.state, step.at ?? null]);

describe("timelineOf", () => {
  it("walks requested, confirmed, picked up, delivered, with the times it knows", () => {
    expect(shape(base)).toEqual([
      ["Requested", "current", "2027-01-01T08:00:00.000Z"],
      ["Confirmed", "upcoming", null],
      ["Picked up", "upcoming", null],
      ["Delivered", "upcoming", null],
    ]);
    const inTransit = { ...base, status: "IN_TRANSIT" as const, pickedUpAt: "2027-01-01T09:00:00.000Z", workflow: { ...base.workflow, phase: "in-transit" as const, since: "2027-01-01T09:00:00.000Z" } };
    expect(shape(inTransit, { CONFIRMED: "2027-01-01T08:00:01.000Z" })).toEqual([
      ["Requested", "done", "2027-01-01T08:00:00.000Z"],
      ["Confirmed", "done", "2027-01-01T08:00:01.000Z"],
      ["Picked up", "current", "2027-01-01T09:00:00.000Z"],
      ["Delivered", "upcoming", null],
    ]);
  });

  it("ends a rejected, cancelled or failed reservation where it stopped", () => {
    const at = (status: TimelineSource["status"]) => ({ ...base, status, workflow: { ...base.workflow, since: "2027-01-01T08:30:00.000Z" } });
    expect(shape(at("REJECTED")).map(([label, state]) => [label, state])).toEqual([["Requested", "done"], ["Rejected", "current"]]);
    expect(shape(at("CANCELLED")).map(([label, state]) => [label, state])).toEqual([["Requested", "done"], ["Confirmed", "done"], ["Cancelled", "current"]]);
    expect(shape(at("FAILED")).at(-1)).toEqual(["Failed", "current", "2027-01-01T08:30:00.000Z"]);
    expect(shape(at("FAILED"), { CONFIRMED: "2027-01-01T08:00:01.000Z" }).map(([label]) => label)).toEqual(["Requested", "Confirmed", "Failed"]);
  });
});
