import { describe, expect, it } from "vitest";
import { redactionRules, redactText, redactValue } from "../../src/observability/redaction.js";
import { refineLogEvent } from "../../src/observability/refine-log-event.js";

/** Text that looks close to personal data or secrets but is not: every rule must leave it as is. */
const counterExamples = [
  "reservation 550e8400-e29b-41d4-a716-446655440000 confirmed",
  "at 2026-11-25T10:00:00.000Z and 2026-11-25 10:00:00",
  "deployed v1.2.3 (build 4.5.6.7)",
  "took 12.5 ms, then 13.25 ms; Duration: 1234.56 ms",
  "epoch 1795600000000, order 123456789, id 0123456789",
  "node 127.0.0.1:9200 and 10.0.12.104:3306",
  "retry 3 of 5 on the way to the depot",
  "string 3 was too long",
  "package @haul/core loaded",
  "trace 1-5759e988-bd862e3fe1be46a994272793",
  "tokenType is Bearer; password policy updated",
  "window 09:30-10:00 on 01/02/2026",
  "weights 12.50, 13.40 kg",
  "POST /reservations/{id}/cancel -> 202",
  "requestTime 25/Nov/2026:10:00:07 +0000, offset +01:00",
  "Init Duration: 180.50 ms\tMax Memory Used: 77 MB",
  "Gateway 3 and Buffer 12 ready",
];

describe("redaction leaves its counter-examples intact", () => {
  it.each(counterExamples)("%s", (text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe("tokens and authorization", () => {
  it("redacts bearer and basic credentials, JWTs and secret assignments in text", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkcml2ZXItMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    expect(redactText(`Authorization: Bearer ${jwt}`)).toBe("Authorization: Bearer [REDACTED]");
    expect(redactText("Authorization: Basic dXNlcjpwYXNz")).toBe("Authorization: Basic [REDACTED]");
    expect(redactText(`token from query ${jwt} refused`)).toBe("token from query [REDACTED:jwt] refused");
    expect(redactText("GET /live?token=abc.def.ghi&x=1")).toBe("GET /live?token=[REDACTED]&x=1");
    expect(redactText('body {"password": "hunter2"}')).toBe('body {"password": "[REDACTED]"}');
  });

  it("redacts secret keys whatever their value, and keeps keys that only mention a token", () => {
    expect(redactValue({ headers: { Authorization: "Bearer x", cookie: "s=1" }, accessToken: "opaque", client_secret: "s", password: "p", tokenType: "Bearer", tokenCount: 3 })).toEqual({
      headers: { Authorization: "[REDACTED]", cookie: "[REDACTED]" },
      accessToken: "[REDACTED]",
      client_secret: "[REDACTED]",
      password: "[REDACTED]",
      tokenType: "Bearer",
      tokenCount: 3,
    });
  });
});

describe("e-mail addresses and phone numbers", () => {
  it("redacts e-mail addresses", () => {
    expect(redactText("sent to jane.doe+haul@example.co.uk and ops@haul.example")).toBe("sent to [REDACTED:email] and [REDACTED:email]");
  });

  it("redacts international, national and North American numbers", () => {
    expect(redactText("call +49 30 1234567 or +44 (20) 7946-0958 or +1.415.555.0199")).toBe("call [REDACTED:phone] or [REDACTED:phone] or [REDACTED:phone]");
    expect(redactText("driver 030 1234567, (030) 123-4567, 0171/1234567, 0171-123 45 67")).toBe("driver [REDACTED:phone], [REDACTED:phone], [REDACTED:phone], [REDACTED:phone]");
    expect(redactText("us 555-123-4567 or (555) 123-4567")).toBe("us [REDACTED:phone] or [REDACTED:phone]");
  });

  it("keeps short numbers with a plus, and ids of bare digits", () => {
    expect(redactText("retries +3, count +12")).toBe("retries +3, count +12");
    expect(redactText("id 01711234567")).toBe("id 01711234567");
  });

  it("redacts phone keys", () => {
    expect(redactValue({ phone: "whatever", mobileNumber: 4930123, contact: { tel: "1" } })).toEqual({ phone: "[REDACTED:phone]", mobileNumber: "[REDACTED:phone]", contact: { tel: "[REDACTED:phone]" } });
  });
});

describe("street addresses", () => {
  it("redacts address keys, objects included", () => {
    expect(redactValue({ pickupAddress: "Alexanderplatz 1, 10178 Berlin", dropoff: { address: { street: "x", city: "y" } }, addressLine1: "a", notes: "fragile" })).toEqual({
      pickupAddress: "[REDACTED:address]",
      dropoff: { address: "[REDACTED:address]" },
      addressLine1: "[REDACTED:address]",
      notes: "fragile",
    });
  });

  it("redacts addresses in free text by the street-type heuristic", () => {
    expect(redactText("pickup at 12 Main Street, then 350 Fifth Ave.")).toBe("pickup at [REDACTED:address], then [REDACTED:address]");
    expect(redactText("from Hauptstraße 12 to Karl-Marx-Allee 90b via Alexanderplatz 1")).toBe("from [REDACTED:address] to [REDACTED:address] via [REDACTED:address]");
  });
});

describe("coordinates", () => {
  it("coarsens lat/lon keys to 2 decimals", () => {
    expect(redactValue({ location: { lat: 52.520812, lon: 13.409411 }, latitude: "-33.868820", lng: 151.209296, speed: 13.409411 })).toEqual({
      location: { lat: 52.52, lon: 13.41 },
      latitude: "-33.87",
      lng: 151.21,
      speed: 13.409411,
    });
  });

  it("coarsens pairs and assignments in text", () => {
    expect(redactText("fix at 52.520812, 13.409411 ok")).toBe("fix at 52.52, 13.41 ok");
    expect(redactText("[13.409411,52.520812]")).toBe("[13.41,52.52]");
    expect(redactText('lat=52.520812 lon: 13.409411 "lng":-0.127758')).toBe('lat=52.52 lon: 13.41 "lng":-0.13');
  });

  it("keeps pairs outside latitude/longitude ranges", () => {
    expect(redactText("ratio 123.45678, 456.78901")).toBe("ratio 123.45678, 456.78901");
  });
});

describe("redaction in refined documents", () => {
  it("applies to messages, extra keys, errors and paths", () => {
    const line = {
      level: "ERROR",
      message: "could not reach jane@example.com at +49 171 1234567",
      customer: { email: "jane@example.com", phone: "+49 171 1234567", pickupAddress: "Hauptstraße 12" },
      position: { lat: 52.520812, lon: 13.409411 },
      authorization: "Bearer abc.def",
      error: { name: "Error", message: "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl expired", stack: "Error: x\n at y" },
      path: "/users/jane@example.com",
    };
    const document = refineLogEvent({ id: "e", timestamp: 0, message: JSON.stringify(line) }, { logGroup: "/aws/lambda/f", logStream: "s" });
    const text = JSON.stringify(document);
    for (const secret of ["jane@example.com", "1234567", "Hauptstraße", "520812", "abc.def", "eyJzdWIiOiIxIn0"]) expect(text).not.toContain(secret);
    expect(document).toMatchObject({
      message: "could not reach [REDACTED:email] at [REDACTED:phone]",
      path: "/users/[REDACTED:email]",
      fields: { position: { lat: 52.52, lon: 13.41 }, authorization: "[REDACTED]" },
      error: { message: "token [REDACTED:jwt] expired" },
    });
  });

  it("documents every rule as data", () => {
    expect(redactionRules.map((rule) => rule.name)).toEqual(expect.arrayContaining(["secret-keys", "bearer-tokens", "jwts", "emails", "phone-numbers", "street-addresses", "coordinates", "coordinate-pairs"]));
    for (const rule of redactionRules) expect(rule.keeps.length).toBeGreaterThan(0);
  });
});
