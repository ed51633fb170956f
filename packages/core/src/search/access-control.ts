/**
 * Fine-grained access control on an Amazon OpenSearch Service domain: what each IAM role may do
 * inside it. IAM only lets a function reach the domain (`es:ESHttp*`); the security plugin then
 * authorizes every request by the OpenSearch roles the caller's IAM role is mapped to. The deploy
 * step (packages/functions/src/search/set-up-search.ts) runs this as the domain's master role.
 *
 * Each grant becomes one OpenSearch role (its exact cluster actions, and action groups per index
 * pattern) and one role mapping (its IAM role ARNs as backend roles):
 *   PUT _plugins/_security/api/roles/<role>         { description, cluster_permissions, index_permissions }
 *   PUT _plugins/_security/api/rolesmapping/<role>  { description, backend_roles }
 *
 * Idempotent: a PUT replaces the whole role or mapping, so every run converges the domain on the
 * grants it is given. A role this code created before (its description says so) that is no
 * longer granted is deleted with its mapping, so a revoked grant does not linger. Nothing else is
 * touched: the built-in roles and mappings keep what the domain was created with, among them
 * `all_access` and `security_manager`, which map the master role; grant names cannot collide with
 * them (they must start with `haul_`).
 *
 * Pure except for `applySearchGrants`, and free of runtime imports beyond zod: the stacks build the
 * grants with it while they synthesize.
 */
import type { Client } from "@opensearch-project/opensearch";
import { z } from "zod";

/** What a function may do with an index family's documents. */
export type SearchIndexAccess = "read" | "write" | "admin";

/**
 * The OpenSearch default action groups each kind of access maps to: the least that does the job.
 *  - read: `read` (search, get, mget, field mappings). Not `search`, which leaves out get by id;
 *    nothing that writes.
 *  - write: `index` (index, update and bulk into the family's indices, with the dynamic mapping
 *    updates that brings) and `create_index` (a write to an index that does not exist yet creates
 *    it from the family's template). Not `write` or `crud`: Haul's families are appended to and
 *    expire as whole indices, so writers neither delete documents nor read them.
 *  - admin: `manage` (the family's indices' settings, rollover, deletion), for whoever curates them.
 */
export const indexActionGroups = {
  read: ["read"],
  write: ["index", "create_index"],
  admin: ["manage"],
} as const satisfies Record<SearchIndexAccess, readonly string[]>;

/**
 * What a function declares it does in OpenSearch (packages/functions/src/declarations.ts).
 * Requests that span indices are authorized at cluster level, so a function that sends them
 * declares those actions in `cluster` too: `_bulk` is `indices:data/write/bulk`, `_msearch`
 * `indices:data/read/msearch`, `_mget` `indices:data/read/mget`, a scroll `indices:data/read/scroll`.
 */
export interface SearchAccess {
  /** Exact cluster actions (e.g. `cluster:monitor/health`), rather than the wider action groups. */
  readonly cluster?: readonly string[];
  readonly indices?: readonly {
    /** Index families, as named in search/index-families/<family>.json. */
    readonly families: readonly string[];
    readonly actions: readonly SearchIndexAccess[];
  }[];
}

export interface SearchIndexPermission {
  readonly indexPatterns: readonly string[];
  readonly allowedActions: readonly string[];
}

export interface SearchGrant {
  /** The OpenSearch role: `haul_` then lowercase letters, digits and `_`. */
  readonly roleName: string;
  /** IAM role ARNs whose signed requests get the role. */
  readonly backendRoles: readonly string[];
  readonly clusterPermissions: readonly string[];
  readonly indexPermissions: readonly SearchIndexPermission[];
}

export const searchRoleNamePattern = /^haul_[a-z0-9_]+$/;

/** Marks the roles and mappings this code owns: it replaces them, and deletes them once ungranted. */
export const managedDescription = "Managed by Haul's deploy (packages/core/src/search/access-control.ts); changes are overwritten";

const familyPattern = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The indices of a family (search/index-families/README.md): its alias `<family>` and the indices
 * behind it, `<family>-*`. A family named `<family>-...` would fall under the wildcard too, which
 * is why family names should not extend one another.
 */
export function familyIndexPatterns(family: string, prefix = ""): string[] {
  if (!familyPattern.test(family)) throw new Error(`"${family}" is not an index family name (lowercase letters, digits, \`.\`, \`_\`, \`-\`)`);
  return [`${prefix}${family}`, `${prefix}${family}-*`];
}

/**
 * The grant for a declared access: exact cluster actions, and per declared entry its families'
 * patterns and action groups. Backend roles are checked where the grants are applied: while a
 * stack synthesizes, an ARN still holds unresolved tokens (partition, account).
 */
export function searchGrant(roleName: string, backendRoles: readonly string[], access: SearchAccess, prefix = ""): SearchGrant {
  if (!searchRoleNamePattern.test(roleName)) throw new Error(`"${roleName}" is not a Haul OpenSearch role name (haul_ then lowercase letters, digits or _)`);
  return {
    roleName,
    backendRoles: [...backendRoles],
    clusterPermissions: [...new Set(access.cluster ?? [])],
    indexPermissions: (access.indices ?? []).map((entry) => ({
      indexPatterns: entry.families.flatMap((family) => familyIndexPatterns(family, prefix)),
      allowedActions: [...new Set(entry.actions.flatMap((action) => indexActionGroups[action]))],
    })),
  };
}

const Permission = z.string().min(1).refine((value) => value !== "*", "must name actions, not `*`");

const SearchGrantSchema = z.strictObject({
  roleName: z.string().regex(searchRoleNamePattern, "must be `haul_` then lowercase letters, digits or `_`"),
  backendRoles: z
    .array(z.string().regex(/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN, without wildcards"))
    .min(1),
  clusterPermissions: z.array(Permission),
  indexPermissions: z.array(
    z.strictObject({
      indexPatterns: z.array(z.string().min(1).refine((value) => !/^[*?]/.test(value), "must start with a name, not a wildcard")).min(1),
      allowedActions: z.array(Permission).min(1),
    }),
  ),
});

/** Validates grants received from elsewhere (the deploy Script's params); names must be unique. */
export function parseSearchGrants(value: unknown): SearchGrant[] {
  const grants = z.array(SearchGrantSchema).parse(value);
  const names = grants.map((grant) => grant.roleName);
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) throw new Error(`OpenSearch roles granted more than once: ${[...new Set(repeated)].join(", ")}`);
  return grants;
}

export interface SearchGrantsReport {
  /** Roles (and their mappings) put, in the order given. */
  readonly applied: readonly string[];
  /** Roles this code had created that are no longer granted, deleted with their mappings. */
  readonly removed: readonly string[];
}

/** Puts every grant's role and mapping, then deletes the managed roles no longer granted; see the top of this file. */
export async function applySearchGrants(
  client: Client,
  grants: readonly SearchGrant[],
  options: { readonly log?: (message: string) => void } = {},
): Promise<SearchGrantsReport> {
  const valid = parseSearchGrants(grants);
  const log = options.log ?? (() => undefined);

  for (const grant of valid) {
    await request(`PUT role ${grant.roleName}`, () =>
      client.security.createRole({
        role: grant.roleName,
        body: {
          description: managedDescription,
          cluster_permissions: [...grant.clusterPermissions],
          index_permissions: grant.indexPermissions.map((permission) => ({
            index_patterns: [...permission.indexPatterns],
            allowed_actions: [...permission.allowedActions],
          })),
        },
      }),
    );
    await request(`PUT role mapping ${grant.roleName}`, () =>
      client.security.createRoleMapping({
        role: grant.roleName,
        body: { description: managedDescription, backend_roles: [...grant.backendRoles] },
      }),
    );
    log(`mapped ${grant.backendRoles.join(", ")} to OpenSearch role ${grant.roleName}`);
  }

  // After the puts, so that a renamed grant never leaves its role without access in between.
  const granted = new Set(valid.map((grant) => grant.roleName));
  const { body: roles } = await request("GET roles", () => client.security.getRoles());
  const stale = Object.entries(roles)
    .filter(([name, role]) => !granted.has(name) && searchRoleNamePattern.test(name) && role.description === managedDescription)
    .filter(([, role]) => !role.reserved && !role.static && !role.hidden)
    .map(([name]) => name)
    .sort();
  for (const name of stale) {
    // The mapping first: a role without a mapping grants nothing; a mapping without its role is an error.
    await request(`DELETE role mapping ${name}`, () => client.security.deleteRoleMapping({ role: name }, { ignore: [404] }));
    await request(`DELETE role ${name}`, () => client.security.deleteRole({ role: name }, { ignore: [404] }));
    log(`deleted OpenSearch role ${name}: no longer granted`);
  }

  return { applied: valid.map((grant) => grant.roleName), removed: stale };
}

export class SearchAccessError extends Error {
  override name = "SearchAccessError";
}

/** Runs one security API call; a failure names the call and what the plugin answered. */
async function request<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new SearchAccessError(`${what} failed: ${describeFailure(error)}`, { cause: error });
  }
}

// Duck-typed (the client's ResponseError carries both) to keep this module free of the client at runtime.
function describeFailure(error: unknown): string {
  const response = error as { statusCode?: unknown; body?: unknown; message?: unknown };
  if (typeof response.statusCode === "number") return `${response.statusCode} ${JSON.stringify(response.body ?? null)}`;
  return error instanceof Error ? error.message : String(error);
}
