/**
 * Prints a token the local cloud accepts, signed with the local issuer's key under
 * `.haul/identity` (made on first use, so this works before the local cloud ever ran).
 *   npx tsx scripts/mint-token.ts --role customer --sub <uuid> [--expires-in 1h] [--email a@b.c]
 * Without --sub it picks the first seeded demo person of that role.
 */
import { parseArgs } from "node:util";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { roles, type Role } from "@haul/core/user";
import { mintToken } from "@haul/local/identity/mint-token";

const usage = `Usage: npx tsx scripts/mint-token.ts --role <${roles.join("|")}> [--sub <uuid>] [--expires-in 1h] [--email <address>] [--audience <client id>]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: "string" },
      sub: { type: "string" },
      "expires-in": { type: "string", default: "1h" },
      email: { type: "string" },
      audience: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return void process.stdout.write(usage + "\n");

  const role = values.role as Role | undefined;
  if (!role || !roles.includes(role)) throw new Error(`--role must be one of ${roles.join(", ")}\n${usage}`);
  const sub = values.sub ?? demoPeopleWithRole(role)[0]?.id;
  if (!sub) throw new Error(`--sub is required: no ${role} is seeded\n${usage}`);

  const token = await mintToken({
    role,
    sub,
    expiresIn: values["expires-in"],
    ...(values.email ? { email: values.email } : {}),
    ...(values.audience ? { audience: values.audience } : {}),
  });
  process.stdout.write(token + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
