/**
 * A plausible road between two points, and where a truck on it is after some distance. Roads are
 * not straight lines: the route bends through a few waypoints set off to either side of the direct
 * line (at most a fifth of its length), so a trail on a map looks driven rather than drawn. Pure:
 * the same `random` gives the same route.
 */

export interface Point {
  readonly lat: number;
  readonly lon: number;
}

export interface PlaceOnRoute extends Point {
  /** Degrees clockwise from north, [0, 360). */
  readonly heading: number;
  /** Metres from the start; the route's length at the end. */
  readonly travelledMeters: number;
  readonly arrived: boolean;
}

export interface Route {
  readonly points: readonly Point[];
  readonly lengthMeters: number;
  at(distanceMeters: number): PlaceOnRoute;
}

const earthRadiusMeters = 6_371_008.8;
const toRadians = (degrees: number) => (degrees * Math.PI) / 180;
const toDegrees = (radians: number) => (radians * 180) / Math.PI;

/** Great-circle distance (haversine). */
export function distanceMeters(from: Point, to: Point): number {
  const dLat = toRadians(to.lat - from.lat);
  const dLon = toRadians(to.lon - from.lon);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(from.lat)) * Math.cos(toRadians(to.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusMeters * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Initial bearing from `from` to `to`, degrees clockwise from north in [0, 360). */
export function bearingDegrees(from: Point, to: Point): number {
  const phi1 = toRadians(from.lat);
  const phi2 = toRadians(to.lat);
  const dLon = toRadians(to.lon - from.lon);
  const y = Math.sin(dLon) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLon);
  return (toDegrees(Math.atan2(y, x)) + 360) % 360;
}

/** The point `meters` away from `from` towards `bearing` (degrees). */
export function offset(from: Point, bearing: number, meters: number): Point {
  const delta = meters / earthRadiusMeters;
  const theta = toRadians(bearing);
  const phi1 = toRadians(from.lat);
  const lambda1 = toRadians(from.lon);
  const phi2 = Math.asin(Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta));
  const lambda2 = lambda1 + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(phi1), Math.cos(delta) - Math.sin(phi1) * Math.sin(phi2));
  return { lat: toDegrees(phi2), lon: ((toDegrees(lambda2) + 540) % 360) - 180 };
}

/** A route from `start` to `end` through 2 to 5 waypoints that bend it to either side. */
export function planRoute(start: Point, end: Point, random: () => number = Math.random): Route {
  const direct = distanceMeters(start, end);
  const bearing = bearingDegrees(start, end);
  const waypoints = direct < 200 ? 0 : 2 + Math.floor(random() * 4);
  const points: Point[] = [start];
  for (let index = 1; index <= waypoints; index++) {
    const along = offset(start, bearing, (direct * index) / (waypoints + 1));
    const side = (random() - 0.5) * 0.4 * direct;
    points.push(offset(along, bearing + 90, side));
  }
  points.push(end);
  return routeThrough(points);
}

/** A route along `points` as given. */
export function routeThrough(points: readonly Point[]): Route {
  if (points.length < 2) throw new RangeError("A route needs at least two points");
  const legs = points.slice(1).map((to, index) => ({ from: points[index]!, to, meters: distanceMeters(points[index]!, to) }));
  const lengthMeters = legs.reduce((sum, leg) => sum + leg.meters, 0);
  return {
    points,
    lengthMeters,
    at(distance) {
      let remaining = Math.max(0, Math.min(distance, lengthMeters));
      const travelledMeters = remaining;
      for (const leg of legs) {
        if (remaining <= leg.meters || leg === legs[legs.length - 1]) {
          const fraction = leg.meters === 0 ? 1 : Math.min(1, remaining / leg.meters);
          const heading = bearingDegrees(leg.from, leg.to);
          const place = offset(leg.from, heading, leg.meters * fraction);
          return { ...place, heading, travelledMeters, arrived: travelledMeters >= lengthMeters };
        }
        remaining -= leg.meters;
      }
      throw new Error("unreachable: a route has at least one leg");
    },
  };
}

/** A point around `center` within `radiusMeters`, uniformly over the disc. */
export function randomPointNear(center: Point, radiusMeters: number, random: () => number = Math.random): Point {
  return offset(center, random() * 360, radiusMeters * Math.sqrt(random()));
}

/** Standard normal draw (Box-Muller), for GPS noise. */
export function gaussian(random: () => number = Math.random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
