/**
 * A Leaflet map over the offline base layer, with the app's markers and trails. Leaflet needs no
 * WebGL, so it draws the same in every browser and in headless Chromium. The map fits `fitTo`
 * (a route or a fleet) whenever that changes, and otherwise leaves the user's pan and zoom alone.
 */
import "leaflet/dist/leaflet.css";
import L from "leaflet";
import { useEffect, useRef } from "react";
import { detailedFromZoom, loadBaseGeometry, type Detail } from "./base-layer.js";

export type LatLon = readonly [number, number];

const toLeaflet = (point: LatLon): L.LatLngTuple => [point[0], point[1]];

export interface MapMarker {
  readonly id: string;
  readonly position: LatLon;
  /** Shown on the marker's tooltip and read by screen readers. */
  readonly label: string;
  readonly kind: "truck" | "pickup" | "dropoff";
  /** A truck whose last position is old. */
  readonly stale?: boolean;
}

export interface MapTrail {
  readonly id: string;
  readonly points: readonly LatLon[];
}

export interface HaulMapProps {
  /** What the map shows, for screen readers (e.g. "Map of the truck's route"). */
  readonly label: string;
  readonly markers: readonly MapMarker[];
  readonly trails?: readonly MapTrail[];
  /** Points the view fits when they change (with some padding). */
  readonly fitTo?: readonly LatLon[];
  readonly tileUrl?: string;
  readonly attribution?: string;
}

// Drawn, not an emoji: browsers without a colour-emoji font (headless Debian chromium) show a box.
const truckIcon =
  '<svg width="20" height="14" viewBox="0 0 20 14" fill="currentColor"><rect x="0" y="1" width="12" height="9" rx="1"/><path d="M13 4h3.5l3 3.5V10h-6.5z"/><circle cx="4" cy="11.5" r="2.2"/><circle cx="15.5" cy="11.5" r="2.2"/></svg>';

const landStyle: L.PathOptions = { color: "#8a9a8c", weight: 0.6, fillColor: "#e8efe4", fillOpacity: 1 };
const borderStyle: L.PathOptions = { color: "#8a9a8c", weight: 0.8, fill: false };

export function HaulMap({ label, markers, trails = [], fitTo, tileUrl, attribution }: HaulMapProps) {
  const element = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const overlay = useRef<L.LayerGroup | null>(null);

  useEffect(() => {
    if (!element.current) return;
    const created = L.map(element.current, { worldCopyJump: true, zoomSnap: 0.5, attributionControl: Boolean(attribution) }).setView([50, 10], 4);
    created.getContainer().style.background = "#b9d3e6";
    // Country shapes alone say little at a city's scale: the scale bar tells distances.
    L.control.scale({ position: "bottomleft" }).addTo(created);
    map.current = created;
    overlay.current = L.layerGroup().addTo(created);
    let base: L.LayerGroup | undefined;
    let shown: Detail | undefined;
    let disposed = false;
    const showDetail = async (detail: Detail) => {
      if (shown === detail) return;
      shown = detail;
      const geometry = await loadBaseGeometry(detail);
      if (disposed || shown !== detail) return;
      const next = L.layerGroup([L.geoJSON(geometry.countries, { style: landStyle, interactive: false }), L.geoJSON(geometry.borders, { style: borderStyle, interactive: false })]);
      next.addTo(created);
      next.eachLayer((layer) => (layer as L.GeoJSON).bringToBack());
      base?.remove();
      base = next;
      if (detail === "50m") performance.mark("haul:first-map-render");
      created.getContainer().dataset.baseLayer = detail;
    };
    void showDetail("50m");
    created.on("zoomend", () => void showDetail(created.getZoom() >= detailedFromZoom ? "10m" : "50m"));
    if (tileUrl) L.tileLayer(tileUrl, { ...(attribution ? { attribution } : {}) }).addTo(created);
    return () => {
      disposed = true;
      created.remove();
      map.current = null;
    };
  }, [tileUrl, attribution]);

  useEffect(() => {
    const group = overlay.current;
    if (!group) return;
    group.clearLayers();
    for (const trail of trails) {
      if (trail.points.length > 1) L.polyline(trail.points.map(toLeaflet), { color: "#1f5fbf", weight: 4, opacity: 0.85 }).addTo(group);
    }
    for (const marker of markers) {
      const icon = L.divIcon({
        className: `haul-marker haul-marker--${marker.kind}${marker.stale ? " haul-marker--stale" : ""}`,
        html: `<span aria-hidden="true">${marker.kind === "truck" ? truckIcon : marker.kind === "pickup" ? "A" : "B"}</span>`,
        iconSize: [30, 30],
        iconAnchor: [15, 15],
      });
      L.marker(toLeaflet(marker.position), { icon, title: marker.label, alt: marker.label, keyboard: true }).bindTooltip(marker.label).addTo(group);
    }
  }, [markers, trails]);

  const fitKey = JSON.stringify(fitTo ?? []);
  useEffect(() => {
    if (!map.current || !fitTo || fitTo.length === 0) return;
    if (fitTo.length === 1) map.current.setView(toLeaflet(fitTo[0]!), 12);
    else map.current.fitBounds(L.latLngBounds(fitTo.map(toLeaflet)), { padding: [32, 32], maxZoom: 15 });
    // The key says when the points changed; the array itself is new on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fitKey]);

  return <div ref={element} className="haul-map" role="region" aria-label={label} data-markers={markers.length} />;
}
