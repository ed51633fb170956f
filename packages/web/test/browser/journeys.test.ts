/**
 * The web app in a real browser against the local cloud: a customer reserves through the form and
 * watches the truck move, a driver gets the notification live and marks pickup and delivery, an
 * operator finds the execution and the request's logs, another customer sees nothing of it. Every
 * page passes axe-core (no serious or critical violations) and is kept as a screenshot.
 *
 * The tests of this file run in order and share what they made (the reservations, a correlation id).
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { correlationIdHeader, reservationApi } from "@haul/functions/declarations";
import { appName, localStage } from "../../../local/src/config.js";
import { functionNameFor } from "../../../local/src/gateway/lambda-invocation.js";
import { callApi } from "../../../local/src/simulator/api-client.js";
import { planRoute } from "../../../local/src/simulator/route.js";
import { driveTruck } from "../../../local/src/simulator/truck.js";
import { presetPlaces } from "../../src/pages/customer/places.js";
import { checkPage, demoPerson, personWithId, openPage, signInAs, startBrowserWorld, step, tokenFor, type BrowserWorld, type TestPage } from "./support.js";

const pollOptions = { timeout: 20_000, interval: 250 };
const [alexanderplatz, hauptbahnhof, tempelhof] = presetPlaces as [(typeof presetPlaces)[0], (typeof presetPlaces)[0], (typeof presetPlaces)[0]];
const customer = demoPerson("customer", 0);
const otherCustomer = demoPerson("customer", 2);
const operator = demoPerson("operator", 0);
const reserveFunction = functionNameFor(`${localStage}-${appName}`, reservationApi.name, reservationApi.routes["POST /reservations"].handler);

let world: BrowserWorld;
const pages: TestPage[] = [];
/** Reservations this file made and who drives them: delivered at the end so the drivers are free again. */
const made: Array<{ reservationId: string; driverToken: string }> = [];
const shared = { reservationId: "", cargo: "", reserveCorrelationId: "", apiReservationId: "" };

beforeAll(async () => {
  world = await startBrowserWorld("journeys");
});

afterAll(async () => {
  for (const { reservationId, driverToken } of made) {
    const path = `${world.cloud.outputs.ReservationApiUrl}/reservations/${reservationId}`;
    await callApi("POST", `${path}/pickup`, { token: driverToken }).catch(() => undefined);
    await callApi("POST", `${path}/deliver`, { token: driverToken }).catch(() => undefined);
  }
  for (const page of pages) await page.close().catch(() => undefined);
  await world?.stop();
});

async function newPage(): Promise<TestPage> {
  const page = await openPage(world);
  pages.push(page);
  return page;
}

/** `datetime-local` text for `minutesAhead` from now in the page's own time zone, to the minute. */
function localInputIn(testPage: TestPage, minutesAhead: number): Promise<string> {
  return testPage.page.evaluate((minutes) => {
    const date = new Date(Date.now() + minutes * 60_000);
    const pad = (part: number) => String(part).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }, minutesAhead);
}

/** The vertices of the trail's line on the map (Leaflet draws it as one SVG path). */
async function trailVertices(testPage: TestPage): Promise<number> {
  return testPage.page.evaluate(() => {
    const path = document.querySelector('.haul-map path[stroke="#1f5fbf"]');
    return (path?.getAttribute("d")?.match(/[ML]/g) ?? []).length;
  });
}

describe("the web app in chromium", () => {
  it("shows the demo sign-in", async () => {
    const visitor = await newPage();
    await visitor.page.goto(world.webUrl);
    await step(visitor, "sign-in", () => visitor.page.getByRole("button", { name: new RegExp(customer.name) }).waitFor());
    await checkPage(visitor, "sign-in");
  });

  it("lets a customer reserve through the form and watch the truck move", { timeout: 120_000 }, async () => {
    const tab = await newPage();
    const { page } = tab;
    await signInAs(world, tab, customer);
    await page.goto(`${world.webUrl}/customer/reserve`);
    await checkPage(tab, "customer-reserve");

    // Now-ish, so the driver may pick up at once; short, so the drivers are free again soon.
    await page.fill("#window-start", await localInputIn(tab, 3));
    await page.fill("#window-end", await localInputIn(tab, 20));
    await page.getByRole("button", { name: "Find available drivers" }).click();
    const firstDriver = page.locator('input[type="radio"][name="driver"]').first();
    await step(tab, "customer-reserve-drivers", () => firstDriver.waitFor({ timeout: 15_000 }));
    const driverId = await firstDriver.getAttribute("value");
    await firstDriver.check();
    shared.cargo = `Browser test pallets ${randomUUID().slice(0, 8)}`;
    await page.fill("#cargo-weight", "450");
    await page.fill("#cargo-description", shared.cargo);
    await page.selectOption("#pickup-preset", alexanderplatz.address);
    await page.selectOption("#dropoff-preset", hauptbahnhof.address);
    await page.getByRole("button", { name: "Reserve", exact: true }).click();

    await step(tab, "customer-reserved", () => page.waitForURL(/\/customer\/reservations\/[0-9a-f-]{36}$/, { timeout: 15_000 }));
    shared.reservationId = page.url().split("/").at(-1)!;
    const driver = personWithId(driverId);
    const driverToken = await tokenFor(world, driver);
    made.push({ reservationId: shared.reservationId, driverToken });

    const status = page.getByTestId("reservation-status");
    await step(tab, "customer-confirmed", () =>
      expect.poll(() => status.getAttribute("data-status"), { ...pollOptions, message: "the reservation page shows CONFIRMED" }).toBe("CONFIRMED"),
    );

    // The driver picks up and drives (the simulator's truck posting real fixes); the page follows.
    const driving = new AbortController();
    // The simulator's sleeps each listen on the signal until it aborts: a drive adds dozens.
    setMaxListeners(0, driving.signal);
    const drive = driveTruck({
      apis: { reservationApiUrl: world.cloud.outputs.ReservationApiUrl!, trackingApiUrl: world.cloud.outputs.TrackingApiUrl! },
      driverToken,
      reservationId: shared.reservationId,
      route: planRoute(alexanderplatz, hauptbahnhof),
      speedup: 6,
      fixEveryMs: 500,
      fixesPerPost: 2,
      cruiseKmh: 60,
      markDelivery: false,
      signal: driving.signal,
    }).catch((error: unknown) => (driving.signal.aborted ? undefined : Promise.reject(error)));
    try {
      await step(tab, "customer-in-transit", () =>
        expect.poll(() => status.getAttribute("data-status"), { ...pollOptions, message: "the page follows the pickup" }).toBe("IN_TRANSIT"),
      );
      const positions = new Set<string>();
      let firstTrail: number | undefined;
      await step(tab, "customer-truck-moves", () =>
        expect
          .poll(
            async () => {
              const position = await page.getByTestId("truck-position").getAttribute("data-truck-position");
              if (position) positions.add(position);
              const vertices = await trailVertices(tab);
              if (firstTrail === undefined && vertices > 0) firstTrail = vertices;
              return positions.size >= 3 && firstTrail !== undefined && vertices > firstTrail;
            },
            { timeout: 45_000, interval: 250, message: "the truck marker moves at least twice and its trail grows" },
          )
          .toBe(true),
      );
    } finally {
      driving.abort();
      await drive;
    }
    // The map, with the truck on its trail, is what this page's screenshot shows.
    await page.locator(".haul-map").scrollIntoViewIfNeeded();
    await checkPage(tab, "customer-reservation");

    await page.goto(`${world.webUrl}/customer/reservations`);
    await step(tab, "customer-reservations", () => page.getByText(shared.cargo).first().waitFor({ timeout: 15_000 }));
    await checkPage(tab, "customer-reservations");
  });

  it("lets a driver get the notification live and mark pickup and delivery", { timeout: 90_000 }, async () => {
    const customerToken = await tokenFor(world, customer);
    const from = new Date(Date.now() + 4 * 60_000);
    const to = new Date(from.getTime() + 15 * 60_000);
    const { body: available } = await callApi<{ drivers: Array<{ driverId: string }> }>(
      "GET",
      `${world.cloud.outputs.QueryApiUrl}/drivers/available?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })}`,
      { token: customerToken },
    );
    const driverId = available.drivers[0]?.driverId;
    expect(driverId, "a seeded driver is free for the next quarter hour").toBeDefined();
    const driver = personWithId(driverId);

    const tab = await newPage();
    const { page } = tab;
    await signInAs(world, tab, driver);
    await page.goto(`${world.webUrl}/driver/inbox`);
    await step(tab, "driver-inbox-live", () => page.getByText("connected", { exact: true }).waitFor({ timeout: 15_000 }));
    const unread = async () => Number.parseInt((await page.getByTestId("unread-count").textContent()) ?? "", 10);
    await step(tab, "driver-inbox-count", () => expect.poll(unread, pollOptions).not.toBeNaN());
    const unreadBefore = await unread();

    shared.reserveCorrelationId = randomUUID();
    const cargo = `Live inbox crates ${randomUUID().slice(0, 8)}`;
    const { body: receipt } = await callApi<{ reservationId: string }>("POST", `${world.cloud.outputs.ReservationApiUrl}/reservations`, {
      token: customerToken,
      headers: { [correlationIdHeader]: shared.reserveCorrelationId },
      body: {
        driverId,
        pickup: { ...tempelhof },
        dropoff: { ...alexanderplatz },
        window: { start: from.toISOString(), end: to.toISOString() },
        cargo: { weightKg: 300, description: cargo },
      },
    });
    shared.apiReservationId = receipt.reservationId;
    made.push({ reservationId: receipt.reservationId, driverToken: await tokenFor(world, driver) });

    await step(tab, "driver-inbox-notified", async () => {
      await expect.poll(unread, { ...pollOptions, message: "the unread count rises" }).toBeGreaterThan(unreadBefore);
      await expect.poll(() => page.getByTestId("announcement").textContent(), { ...pollOptions, message: "the new message is announced" }).toMatch(/^New message: /);
    });
    await checkPage(tab, "driver-inbox");

    await page.goto(`${world.webUrl}/driver/assignments`);
    const pickup = page.getByTestId(`pickup-${receipt.reservationId}`);
    await step(tab, "driver-assignments", () => pickup.waitFor({ timeout: 15_000 }));
    await checkPage(tab, "driver-assignments");
    const job = page.locator("article", { has: page.locator(`#job-${receipt.reservationId}`) });
    await pickup.click();
    const deliver = page.getByTestId(`deliver-${receipt.reservationId}`);
    await step(tab, "driver-picked-up", async () => {
      await deliver.waitFor({ timeout: 15_000 });
      await expect.poll(() => job.locator("h3 .badge").textContent(), pollOptions).toBe("IN_TRANSIT");
    });
    await deliver.click();
    await step(tab, "driver-delivered", () =>
      expect.poll(() => job.first().locator("h3 .badge").textContent(), { ...pollOptions, message: "the job shows COMPLETED" }).toBe("COMPLETED"),
    );

    await page.goto(`${world.webUrl}/driver/messages`);
    await step(tab, "driver-messages", () => page.getByRole("heading", { level: 1 }).waitFor());
    await checkPage(tab, "driver-messages");
  });

  it("lets an operator find the execution and the request's logs", { timeout: 90_000 }, async () => {
    const tab = await newPage();
    const { page } = tab;
    await signInAs(world, tab, operator);

    await page.goto(`${world.webUrl}/ops/fleet`);
    await step(tab, "ops-fleet", () => page.getByTestId(`truck-${shared.reservationId}`).waitFor({ timeout: 20_000 }));
    await checkPage(tab, "ops-fleet");

    await page.goto(`${world.webUrl}/ops/executions`);
    await page.fill("#find-reservation", shared.apiReservationId);
    await page.getByRole("button", { name: "Find its execution" }).click();
    await step(tab, "ops-execution", async () => {
      await page.waitForURL(new RegExp(`/ops/executions/${shared.apiReservationId}$`), { timeout: 15_000 });
      await expect.poll(() => page.locator('[data-testid^="state-"]').count(), { ...pollOptions, message: "the execution's states are listed" }).toBeGreaterThanOrEqual(3);
    });
    await checkPage(tab, "ops-execution");
    await page.goto(`${world.webUrl}/ops/executions`);
    await step(tab, "ops-executions", () => page.getByTestId(`execution-${shared.apiReservationId}`).waitFor({ timeout: 15_000 }));
    await checkPage(tab, "ops-executions");

    // Refinement takes a few seconds: the page is read again until the request's lines are in.
    const events = page.locator("ol.log-events > li");
    await step(tab, "ops-logs", () =>
      expect
        .poll(
          async () => {
            await page.goto(`${world.webUrl}/ops/logs?correlationId=${shared.reserveCorrelationId}`);
            await page.getByText(/\d+ events? shown/).waitFor();
            const texts = await events.allTextContents();
            const access = texts.some((text) => text.includes("POST /reservations → 202"));
            const handler = texts.some((text) => text.includes(reserveFunction));
            return access && handler;
          },
          { timeout: 30_000, interval: 1_000, message: "the logs page shows the access record and the handler's lines" },
        )
        .toBe(true),
    );
    await checkPage(tab, "ops-logs");

    for (const [route, name] of [["/ops/messages", "ops-messages"], ["/ops/stats", "ops-stats"]] as const) {
      await page.goto(`${world.webUrl}${route}`);
      await step(tab, name, () => page.getByRole("heading", { level: 1 }).waitFor());
      await checkPage(tab, name);
    }
  });

  it("shows another customer nothing of the reservation", async () => {
    const tab = await newPage();
    const { page } = tab;
    await signInAs(world, tab, otherCustomer);
    await page.goto(`${world.webUrl}/customer/reservations/${shared.reservationId}`);
    await step(tab, "other-customer", async () => {
      await page.getByRole("heading", { level: 1, name: "Reservation not found" }).waitFor({ timeout: 15_000 });
      const text = (await page.locator("main").textContent()) ?? "";
      expect(text).toContain("not yours");
      expect(text).not.toContain(shared.cargo);
      expect(text).not.toContain(alexanderplatz.address);
      expect(await page.getByTestId("truck-position").count()).toBe(0);
    });
    await checkPage(tab, "customer-not-found");
  });
});
