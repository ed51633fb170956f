/**
 * Reserve a truck: choose the window, pick one of the drivers free for it, describe the cargo and
 * the two places, and send it. Each reason the API gives (`invalid-params`) is shown under its field
 * and in a summary; a 202 leads to the reservation's page.
 */
import { useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { ApiProblem, type FieldProblem } from "../../api/client.js";
import { useHaul } from "../../app-context.js";
import type { AvailableDriver, AvailableDrivers, ReservationReceipt } from "./api-types.js";
import { Field } from "./form-field.js";
import { formatInstant, localInputToIso } from "../../components/time-text.js";
import { presetPlaces } from "./places.js";
import "./customer.css";

interface PlaceInput {
  readonly address: string;
  readonly lat: string;
  readonly lon: string;
}

const emptyPlace: PlaceInput = { address: "", lat: "", lon: "" };

/** Each form field and the names the APIs give it in `invalid-params`. */
const fields: ReadonlyArray<{ readonly id: string; readonly label: string; readonly names: readonly string[] }> = [
  { id: "window-start", label: "Start", names: ["body.window.start", "query.from"] },
  { id: "window-end", label: "End", names: ["body.window.end", "query.to"] },
  { id: "driver", label: "Driver", names: ["body.driverId"] },
  { id: "cargo-weight", label: "Weight", names: ["body.cargo.weightKg"] },
  { id: "cargo-description", label: "Description", names: ["body.cargo.description"] },
  ...(["pickup", "dropoff"] as const).flatMap((place) =>
    (["address", "lat", "lon"] as const).map((part) => ({
      id: `${place}-${part}`,
      label: `${place === "pickup" ? "Pickup" : "Dropoff"} ${part === "address" ? "address" : part === "lat" ? "latitude" : "longitude"}`,
      names: [`body.${place}.${part}`],
    })),
  ),
];

interface Problems {
  readonly title: string;
  readonly items: readonly FieldProblem[];
}

function fieldOf(name: string) {
  return fields.find((field) => field.names.includes(name));
}

function hoursFromNow(hours: number): Date {
  const date = new Date(Date.now() + hours * 3_600_000);
  date.setMinutes(0, 0, 0);
  return date;
}

/** The value a `datetime-local` input shows for a moment: local wall time, to the minute. */
function toLocalInput(date: Date): string {
  const pad = (part: number) => String(part).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Blank stays out of the body, so the API names the field as missing rather than as 0. */
const numberOrOmitted = (text: string) => (text.trim() === "" ? undefined : Number(text));

export default function ReservePage() {
  const { api } = useHaul();
  const navigate = useNavigate();
  const [start, setStart] = useState(() => toLocalInput(hoursFromNow(2)));
  const [end, setEnd] = useState(() => toLocalInput(hoursFromNow(6)));
  const [drivers, setDrivers] = useState<readonly AvailableDriver[] | undefined>();
  const [searchedWindow, setSearchedWindow] = useState<{ from: string; to: string } | undefined>();
  const [driverId, setDriverId] = useState("");
  const [weight, setWeight] = useState("");
  const [description, setDescription] = useState("");
  const [pickup, setPickup] = useState<PlaceInput>(emptyPlace);
  const [dropoff, setDropoff] = useState<PlaceInput>(emptyPlace);
  const [problems, setProblems] = useState<Problems | undefined>();
  const [busy, setBusy] = useState<"drivers" | "reserve" | undefined>();
  // One key per distinct body: a retry of the same request is the same reservation.
  const idempotency = useRef<{ body: string; key: string } | undefined>(undefined);

  const errorFor = (id: string) => {
    const field = fields.find((candidate) => candidate.id === id);
    return problems?.items.find((item) => field?.names.includes(item.name))?.reason;
  };

  const changeWindow = (setter: (value: string) => void) => (value: string) => {
    setter(value);
    setDrivers(undefined);
    setDriverId("");
  };

  const showFailure = (failure: unknown) => {
    if (failure instanceof ApiProblem) {
      setProblems({ title: failure.detail ? `${failure.title}: ${failure.detail}` : failure.title, items: failure.fields });
    } else {
      setProblems({ title: `The request did not reach Haul (${(failure as Error).message})`, items: [] });
    }
  };

  const findDrivers = async (event: FormEvent) => {
    event.preventDefault();
    const from = localInputToIso(start) ?? start;
    const to = localInputToIso(end) ?? end;
    setBusy("drivers");
    setProblems(undefined);
    try {
      const reply = await api.query<AvailableDrivers>("drivers/available", { query: { from, to } });
      setDrivers(reply.data.drivers);
      setSearchedWindow({ from: reply.data.from, to: reply.data.to });
      setDriverId("");
    } catch (failure) {
      showFailure(failure);
    } finally {
      setBusy(undefined);
    }
  };

  const reserve = async (event: FormEvent) => {
    event.preventDefault();
    if (!driverId) {
      setProblems({ title: "Some fields need attention", items: [{ name: "body.driverId", reason: "choose one of the available drivers" }] });
      return;
    }
    const place = (input: PlaceInput) => ({ address: input.address, lat: numberOrOmitted(input.lat), lon: numberOrOmitted(input.lon) });
    const body = {
      driverId,
      window: { start: localInputToIso(start) ?? start, end: localInputToIso(end) ?? end },
      cargo: { weightKg: numberOrOmitted(weight), description },
      pickup: place(pickup),
      dropoff: place(dropoff),
    };
    const text = JSON.stringify(body);
    if (idempotency.current?.body !== text) idempotency.current = { body: text, key: crypto.randomUUID() };
    setBusy("reserve");
    setProblems(undefined);
    try {
      const reply = await api.reservation<ReservationReceipt>("reservations", {
        method: "POST",
        body,
        headers: { "idempotency-key": idempotency.current.key },
      });
      navigate(`/customer/reservations/${reply.data.reservationId}`);
    } catch (failure) {
      showFailure(failure);
      setBusy(undefined);
    }
  };

  return (
    <section>
      <h1>Reserve a truck</h1>
      {problems ? (
        <div className="error-summary" role="alert" aria-labelledby="problems-title">
          <h2 id="problems-title">{problems.title}</h2>
          {problems.items.length > 0 ? (
            <ul>
              {problems.items.map((item) => {
                const field = fieldOf(item.name);
                return (
                  <li key={`${item.name}:${item.reason}`}>
                    {field ? <a href={`#${field.id}`}>{`${field.label}: ${item.reason}`}</a> : `${item.name}: ${item.reason}`}
                  </li>
                );
              })}
            </ul>
          ) : null}
        </div>
      ) : null}

      <form onSubmit={findDrivers} noValidate aria-labelledby="when-title">
        <fieldset>
          <legend id="when-title">When</legend>
          <div className="form-grid">
            <Field id="window-start" label="Start (your local time)" type="datetime-local" value={start} onChange={changeWindow(setStart)} error={errorFor("window-start")} />
            <Field id="window-end" label="End (your local time)" type="datetime-local" value={end} onChange={changeWindow(setEnd)} error={errorFor("window-end")} />
          </div>
          <p>
            <button type="submit" disabled={busy !== undefined}>
              {busy === "drivers" ? "Looking…" : "Find available drivers"}
            </button>
          </p>
        </fieldset>
      </form>

      <form onSubmit={reserve} noValidate aria-labelledby="what-title">
        <h2 id="what-title">Driver, cargo and places</h2>
        <fieldset {...(errorFor("driver") ? { "aria-describedby": "driver-error" } : {})}>
          <legend id="driver">Driver</legend>
          {drivers === undefined ? (
            <p>Find the drivers available for your window first.</p>
          ) : drivers.length === 0 ? (
            <p>No driver is free for this window; try another one.</p>
          ) : (
            <>
              {searchedWindow ? (
                <p className="muted">
                  Free from {formatInstant(searchedWindow.from)} to {formatInstant(searchedWindow.to)}
                </p>
              ) : null}
              {drivers.map((driver) => (
                <label key={driver.driverId} className="driver-choice">
                  <input type="radio" name="driver" value={driver.driverId} checked={driverId === driver.driverId} onChange={() => setDriverId(driver.driverId)} />
                  <span>
                    {driver.name}: truck {driver.truck.plate} ({driver.truck.class}, up to {driver.truck.capacityKg.toLocaleString()} kg)
                  </span>
                </label>
              ))}
            </>
          )}
          {errorFor("driver") ? (
            <p id="driver-error" className="field-error">
              {errorFor("driver")}
            </p>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Cargo</legend>
          <div className="form-grid">
            <Field id="cargo-weight" label="Weight (kg)" type="number" min="0" step="0.001" value={weight} onChange={setWeight} error={errorFor("cargo-weight")} />
            <Field id="cargo-description" label="Description" multiline value={description} onChange={setDescription} error={errorFor("cargo-description")} />
          </div>
        </fieldset>

        <PlaceFields kind="pickup" legend="Pickup" value={pickup} onChange={setPickup} errorFor={errorFor} />
        <PlaceFields kind="dropoff" legend="Dropoff" value={dropoff} onChange={setDropoff} errorFor={errorFor} />

        <button type="submit" className="primary" disabled={busy !== undefined}>
          {busy === "reserve" ? "Reserving…" : "Reserve"}
        </button>
      </form>
    </section>
  );
}

function PlaceFields({
  kind,
  legend,
  value,
  onChange,
  errorFor,
}: {
  kind: "pickup" | "dropoff";
  legend: string;
  value: PlaceInput;
  onChange: (next: PlaceInput) => void;
  errorFor: (id: string) => string | undefined;
}) {
  const choose = (name: string) => {
    const preset = presetPlaces.find((place) => place.address === name);
    if (preset) onChange({ address: preset.address, lat: String(preset.lat), lon: String(preset.lon) });
  };
  return (
    <fieldset>
      <legend>{legend}</legend>
      <label htmlFor={`${kind}-preset`}>Known place</label>
      <select id={`${kind}-preset`} value={presetPlaces.some((place) => place.address === value.address) ? value.address : ""} onChange={(event) => choose(event.target.value)}>
        <option value="">Choose one, or type the place below</option>
        {presetPlaces.map((place) => (
          <option key={place.address} value={place.address}>
            {place.address}
          </option>
        ))}
      </select>
      <div className="form-grid">
        <Field id={`${kind}-address`} label="Address" value={value.address} onChange={(address) => onChange({ ...value, address })} error={errorFor(`${kind}-address`)} />
        <Field id={`${kind}-lat`} label="Latitude (°, −90 to 90)" type="number" step="any" value={value.lat} onChange={(lat) => onChange({ ...value, lat })} error={errorFor(`${kind}-lat`)} />
        <Field id={`${kind}-lon`} label="Longitude (°, −180 to 180)" type="number" step="any" value={value.lon} onChange={(lon) => onChange({ ...value, lon })} error={errorFor(`${kind}-lon`)} />
      </div>
    </fieldset>
  );
}
