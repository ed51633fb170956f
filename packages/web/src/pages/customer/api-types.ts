/** The shapes the customer's pages read, taken (as types only) from the services' own zod schemas. */
export type { ReservationStatus } from "@haul/core/reservation/status";
export type { ReservationRequestInput } from "@haul/core/reservation/schema";
export type { AvailableDriver, AvailableDrivers, ReservationPage, ReservationView, WorkflowProgress } from "@haul/core/query/schema";
export type { Position } from "@haul/core/tracking/position";
export type { TrailPage } from "@haul/core/tracking/trail";
export type { ReservationReceipt } from "@haul/functions/reservation/receipt";
