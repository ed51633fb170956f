/**
 * Every truck in transit on one map, refreshed every 10 s: each marker names its driver and
 * reservation, stale ones are marked, and the same trucks are listed in a table below. The map fits
 * the fleet when trucks join or leave, and otherwise keeps the operator's pan and zoom.
 */
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { useHaul } from "../../app-context.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { formatInstant, relativeAge } from "../../components/time-text.js";
import { HaulMap, type LatLon, type MapMarker } from "../../map/HaulMap.js";
import type { FleetTruck, FleetView } from "./api-types.js";

export const fleetRefreshMs = 10_000;

const short = (id: string) => id.slice(0, 8);
const labelOf = (truck: FleetTruck) => `Driver ${short(truck.driverId)}, reservation ${short(truck.reservationId)}${truck.stale ? " (stale)" : ""}`;

export default function FleetPage() {
  const { api, config } = useHaul();
  const [fleet, setFleet] = useState<FleetView | undefined>();
  const [error, setError] = useState<unknown>();
  const [fitTo, setFitTo] = useState<readonly LatLon[]>([]);
  const fittedFor = useRef("");

  useEffect(() => {
    let current = true;
    const refresh = () =>
      api
        .tracking<FleetView>("ops/fleet")
        .then((reply) => {
          if (!current) return;
          setFleet(reply.data);
          setError(undefined);
          const placed = reply.data.trucks.filter((truck) => truck.position);
          const members = placed.map((truck) => truck.reservationId).sort().join(",");
          if (members !== fittedFor.current) {
            fittedFor.current = members;
            setFitTo(placed.map((truck) => [truck.position!.lat, truck.position!.lon] as const));
          }
        })
        .catch((failure: unknown) => current && setError(failure));
    void refresh();
    const timer = setInterval(refresh, fleetRefreshMs);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [api]);

  const trucks = fleet?.trucks ?? [];
  const markers: MapMarker[] = trucks.flatMap((truck) =>
    truck.position ? [{ id: truck.reservationId, position: [truck.position.lat, truck.position.lon] as const, label: labelOf(truck), kind: "truck" as const, stale: truck.stale }] : [],
  );
  const staleCount = trucks.filter((truck) => truck.stale).length;
  return (
    <section>
      <h1>Fleet</h1>
      <p aria-live="polite">
        {fleet ? `${trucks.length} truck${trucks.length === 1 ? "" : "s"} in transit, ${staleCount} stale · as of ${formatInstant(fleet.asOf)} (refreshed every 10 s)` : "Loading…"}
      </p>
      <ProblemAlert error={error} />
      <HaulMap label={`Map of the ${trucks.length} trucks in transit`} markers={markers} fitTo={fitTo} {...(config.map.tileUrl ? { tileUrl: config.map.tileUrl } : {})} {...(config.map.attribution ? { attribution: config.map.attribution } : {})} />
      <h2>Trucks in transit</h2>
      <table>
        <caption>Every truck in transit with its latest position</caption>
        <thead>
          <tr>
            <th scope="col">Driver</th>
            <th scope="col">Reservation</th>
            <th scope="col">Picked up</th>
            <th scope="col">Latest position</th>
            <th scope="col">Age</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {trucks.map((truck) => (
            <tr key={truck.reservationId} data-testid={`truck-${truck.reservationId}`}>
              <td>{truck.driverId}</td>
              <td>
                <Link to={`/ops/executions/${truck.reservationId}`}>{truck.reservationId}</Link>
              </td>
              <td>{formatInstant(truck.pickedUpAt)}</td>
              <td>{truck.position ? `${truck.position.lat.toFixed(5)}, ${truck.position.lon.toFixed(5)}` : "none yet"}</td>
              <td>{truck.ageSeconds === null ? "—" : relativeAge(truck.ageSeconds)}</td>
              <td>{truck.stale ? <span className="badge badge--stale">stale</span> : <span className="badge badge--live">live</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {fleet && trucks.length === 0 && <p>No truck is in transit.</p>}
    </section>
  );
}
