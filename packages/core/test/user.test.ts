import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "../src/db/pools.js";
import { demoPeople, demoPeopleWithRole } from "../src/identity/demo-people.js";
import { Profile, User } from "../src/user.js";
import { migrateTestDatabase } from "./support/database.js";

beforeAll(async () => {
  await migrateTestDatabase();
});

afterAll(async () => {
  await closePools();
});

describe("User.get", () => {
  it("returns a driver's profile with their truck", async () => {
    const driver = demoPeopleWithRole("driver")[2]!;
    expect(await User.get(driver.id)).toEqual({
      id: driver.id,
      role: "driver",
      name: driver.name,
      email: driver.email,
      phone: driver.phone,
      truck: driver.truck,
    });
  });

  it.each(["customer", "operator"] as const)("returns a %s's profile, without a truck", async (role) => {
    const person = demoPeopleWithRole(role)[0]!;
    const profile = await User.get(person.id);
    expect(profile).toEqual({ id: person.id, role, name: person.name, email: person.email, phone: person.phone });
    expect(profile).not.toHaveProperty("truck");
  });

  it("finds every seeded person, and each profile satisfies the schema", async () => {
    for (const person of demoPeople) {
      const profile = await User.get(person.id);
      expect(profile?.role).toBe(person.role);
      expect(Profile.safeParse(profile).success).toBe(true);
    }
  });

  it("accepts an upper-case id (UUIDs compare case-insensitively)", async () => {
    const person = demoPeople[0]!;
    expect((await User.get(person.id.toUpperCase()))?.id).toBe(person.id);
  });

  it("returns undefined for an unknown id and for a string that is not a UUID", async () => {
    expect(await User.get("00000000-0000-4000-8000-000000000000")).toBeUndefined();
    expect(await User.get("not-a-uuid")).toBeUndefined();
    expect(await User.get("' OR 1=1 -- ")).toBeUndefined();
  });
});
