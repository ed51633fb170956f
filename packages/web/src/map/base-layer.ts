/**
 * The offline base map: country shapes from the `world-atlas` package (Natural Earth, TopoJSON),
 * loaded on demand as chunks of their own so they never weigh on the first load. The 1:50m shapes
 * come first; the 1:10m ones replace them once the map is zoomed in to a region. Where a tile URL is
 * configured (AWS: e.g. Amazon Location Service), tiles are drawn over them.
 */
import type { FeatureCollection, Geometry } from "geojson";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

export type Detail = "50m" | "10m";

export interface BaseGeometry {
  readonly countries: FeatureCollection<Geometry>;
  /** Borders between countries, drawn once each. */
  readonly borders: Geometry;
}

const cache = new Map<Detail, Promise<BaseGeometry>>();

export function loadBaseGeometry(detail: Detail): Promise<BaseGeometry> {
  let pending = cache.get(detail);
  if (!pending) {
    pending = (detail === "50m" ? import("world-atlas/countries-50m.json") : import("world-atlas/countries-10m.json")).then((module) => {
      const topology = (module as { default: unknown }).default as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;
      return {
        countries: feature(topology, topology.objects.countries) as FeatureCollection<Geometry>,
        borders: mesh(topology, topology.objects.countries, (a, b) => a !== b),
      };
    });
    pending.catch(() => cache.delete(detail));
    cache.set(detail, pending);
  }
  return pending;
}

/** Zoom from which the 1:10m shapes are worth their weight. */
export const detailedFromZoom = 6;
