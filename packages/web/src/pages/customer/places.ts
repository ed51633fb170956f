/** Places a customer can pick instead of typing coordinates (the demo's routes run around Berlin). */
export interface PresetPlace {
  readonly address: string;
  readonly lat: number;
  readonly lon: number;
}

export const presetPlaces: readonly PresetPlace[] = [
  { address: "Alexanderplatz 1, Berlin", lat: 52.5208, lon: 13.4094 },
  { address: "Europaplatz 1, Berlin (Hauptbahnhof)", lat: 52.5251, lon: 13.3694 },
  { address: "Tempelhofer Damm 1, Berlin", lat: 52.4836, lon: 13.3862 },
  { address: "Am Neuen Markt 1, Potsdam", lat: 52.3906, lon: 13.0645 },
  { address: "Willy-Brandt-Platz 5, Leipzig", lat: 51.3455, lon: 12.3821 },
  { address: "Glockengießerwall 8, Hamburg", lat: 53.553, lon: 10.0069 },
];
