import { describe, expect, it } from "vitest";
import { bearingDegrees, distanceMeters, offset, planRoute, randomPointNear, routeThrough } from "../src/simulator/route.js";

const alexanderplatz = { lat: 52.5208, lon: 13.4094 };
const potsdam = { lat: 52.3906, lon: 13.0645 };

describe("the simulator's routes", () => {
  it("measures distances and bearings as the haversine formula does", () => {
    // Alexanderplatz to Potsdam's Neuer Markt: about 27.5 km west-south-west.
    expect(distanceMeters(alexanderplatz, potsdam)).toBeGreaterThan(27_000);
    expect(distanceMeters(alexanderplatz, potsdam)).toBeLessThan(28_000);
    expect(bearingDegrees(alexanderplatz, potsdam)).toBeGreaterThan(230);
    expect(bearingDegrees(alexanderplatz, potsdam)).toBeLessThan(250);
    const north = offset(alexanderplatz, 0, 1000);
    expect(distanceMeters(alexanderplatz, north)).toBeCloseTo(1000, 3);
    expect(north.lat).toBeGreaterThan(alexanderplatz.lat);
  });

  it("bends a route through waypoints from the pickup to the dropoff, never shorter than the direct line", () => {
    let state = 7;
    const random = () => ((state = (state * 16807) % 2147483647) / 2147483647);
    const route = planRoute(alexanderplatz, potsdam, random);
    expect(route.points.length).toBeGreaterThanOrEqual(4);
    expect(route.lengthMeters).toBeGreaterThan(distanceMeters(alexanderplatz, potsdam));
    expect(route.lengthMeters).toBeLessThan(distanceMeters(alexanderplatz, potsdam) * 1.6);
    const start = route.at(0);
    expect(distanceMeters(start, alexanderplatz)).toBeLessThan(0.01);
    expect(start.arrived).toBe(false);
    const end = route.at(route.lengthMeters + 500);
    expect(distanceMeters(end, potsdam)).toBeLessThan(0.5);
    expect(end.arrived).toBe(true);
    expect(end.travelledMeters).toBe(route.lengthMeters);
  });

  it("advances monotonically along the route, with headings in [0, 360)", () => {
    const route = routeThrough([alexanderplatz, offset(alexanderplatz, 90, 2000), offset(offset(alexanderplatz, 90, 2000), 180, 1000)]);
    expect(route.lengthMeters).toBeCloseTo(3000, 0);
    let previous = route.at(0);
    for (let metres = 100; metres <= 3000; metres += 100) {
      const place = route.at(metres);
      expect(distanceMeters(previous, place)).toBeLessThanOrEqual(100.5);
      expect(place.heading).toBeGreaterThanOrEqual(0);
      expect(place.heading).toBeLessThan(360);
      previous = place;
    }
    expect(route.at(1000).heading).toBeCloseTo(90, 0);
    expect(route.at(2500).heading).toBeCloseTo(180, 0);
  });

  it("draws random points within the radius", () => {
    for (let index = 0; index < 200; index++) expect(distanceMeters(alexanderplatz, randomPointNear(alexanderplatz, 15_000))).toBeLessThanOrEqual(15_000.5);
  });
});
