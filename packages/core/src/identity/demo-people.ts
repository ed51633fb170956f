/**
 * The demo people that sql/seed/0001_demo_people.sql creates, with their fixed ids, for scripts
 * (minting tokens) and tests. Keep the two in step: packages/core/test/seeds.test.ts compares
 * this list with a freshly seeded database, field by field.
 */
import type { Role, TruckClass } from "../user.js";

export interface DemoTruck {
  readonly id: string;
  readonly plate: string;
  readonly class: TruckClass;
  readonly capacityKg: number;
}

export interface DemoPerson {
  readonly id: string;
  readonly role: Role;
  readonly name: string;
  readonly email: string;
  readonly phone: string | null;
  /** Drivers only. */
  readonly truck?: DemoTruck;
}

export const demoPeople: readonly DemoPerson[] = [
  { id: "c0000000-0000-4000-8000-000000000001", role: "customer", name: "Ada Okafor", email: "ada.okafor@haul.example", phone: "+4915112345601" },
  { id: "c0000000-0000-4000-8000-000000000002", role: "customer", name: "Bruno Silva", email: "bruno.silva@haul.example", phone: "+351912345602" },
  { id: "c0000000-0000-4000-8000-000000000003", role: "customer", name: "Chen Wei", email: "chen.wei@haul.example", phone: null },
  {
    id: "d0000000-0000-4000-8000-000000000001", role: "driver", name: "Dana Kowalski", email: "dana.kowalski@haul.example", phone: "+48601234501",
    truck: { id: "f0000000-0000-4000-8000-000000000001", plate: "HAUL-001", class: "van", capacityKg: 1200 },
  },
  {
    id: "d0000000-0000-4000-8000-000000000002", role: "driver", name: "Emil Novak", email: "emil.novak@haul.example", phone: "+420601234502",
    truck: { id: "f0000000-0000-4000-8000-000000000002", plate: "HAUL-002", class: "box", capacityKg: 3500 },
  },
  {
    id: "d0000000-0000-4000-8000-000000000003", role: "driver", name: "Farah Haddad", email: "farah.haddad@haul.example", phone: "+33612345603",
    truck: { id: "f0000000-0000-4000-8000-000000000003", plate: "HAUL-003", class: "refrigerated", capacityKg: 7500 },
  },
  {
    id: "d0000000-0000-4000-8000-000000000004", role: "driver", name: "Gus Moreno", email: "gus.moreno@haul.example", phone: "+34612345604",
    truck: { id: "f0000000-0000-4000-8000-000000000004", plate: "HAUL-004", class: "flatbed", capacityKg: 12000 },
  },
  {
    id: "d0000000-0000-4000-8000-000000000005", role: "driver", name: "Hana Sato", email: "hana.sato@haul.example", phone: "+819012345605",
    truck: { id: "f0000000-0000-4000-8000-000000000005", plate: "HAUL-005", class: "semi", capacityKg: 24000 },
  },
  { id: "a0000000-0000-4000-8000-000000000001", role: "operator", name: "Ines Duarte", email: "ines.duarte@haul.example", phone: "+4930123456701" },
];

/** The seeded people with `role`, in seed order. */
export function demoPeopleWithRole(role: Role): DemoPerson[] {
  return demoPeople.filter((person) => person.role === role);
}
