import { Stack } from "aws-cdk-lib";
import { createHash } from "node:crypto";
import type { App } from "sst/constructs";
import { searchGrant, type SearchAccess, type SearchGrant } from "../packages/core/src/search/access-control.js";
import { declaredFunctionName, driverPositions, searchUsers } from "../packages/functions/src/declarations.js";

/**
 * Who may do what inside the OpenSearch domain, decided from the declarations alone.
 *
 * Fine-grained access control maps IAM role ARNs, and the deploy step that maps them runs in the
 * Search stack, which every function stack comes after (they need the domain's endpoint and ARN).
 * Handing a role ARN back from a later stack would be a dependency cycle, so the ARN is fixed up
 * front instead: each function that declares `search` gets an IAM role named after its declared
 * name (searchUserRoleName), the Search stack maps `arn:<partition>:iam::<account>:role/<that name>`
 * (declaredSearchGrants), and the function's own stack gives its role that name (stacks/Search.ts,
 * `grantAccess`). Both sides derive the name with the same function from the same declarations.
 * Mapping a role before it exists is harmless: OpenSearch matches the ARN of a signed request's
 * role as a string. Firehose's role gets a fixed name the same way (positionsDeliverySearchUser).
 */

/** Prefix of Haul's index, template and pipeline names in AWS: none, since each stage has its own domain. */
export const domainIndexPrefix = "";

/**
 * The driver-positions delivery stream as an OpenSearch user: Firehose signs its `_bulk` requests
 * with its role, so that role is mapped like a function's. It writes (and creates) the family's
 * daily indices; `_bulk` is a cluster-level action, and Firehose reads the cluster's and nodes'
 * info and stats before it delivers.
 */
export const positionsDeliverySearchUser = {
  name: declaredFunctionName(driverPositions.deliveryStreamName, "firehose"),
  search: {
    cluster: ["indices:data/write/bulk", "cluster:monitor/main", "cluster:monitor/health", "cluster:monitor/nodes/info", "cluster:monitor/nodes/stats", "cluster:monitor/stats"],
    indices: [{ families: [driverPositions.indexFamily], actions: ["write"] }],
  },
} as const satisfies { readonly name: string; readonly search: SearchAccess };

/** IAM role names are at most 64 characters; OpenSearch domain names at most 28. */
export function boundedName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name;
  // Cut, and keep it unique with a digest of the whole.
  const digest = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, maxLength - digest.length - 1)}-${digest}`;
}

const words = (declaredName: string) => declaredName.split(/[^A-Za-z0-9]+/).filter(Boolean);

/** The fixed IAM role name of a declared function that uses OpenSearch, e.g. `prod-haul-ReservationApi-GET-health`. */
export function searchUserRoleName(app: Pick<App, "logicalPrefixedName">, declaredName: string): string {
  return boundedName(app.logicalPrefixedName(words(declaredName).join("-")), 64);
}

/** The OpenSearch role that holds what a declared function may do, e.g. `haul_reservationapi_get_health` (a domain per stage: no stage in it). */
export function searchRoleName(declaredName: string): string {
  return `haul_${words(declaredName).join("_").toLowerCase()}`;
}

export interface DeclaredSearchGrant {
  /** The declared function's name (packages/functions/src/declarations.ts, declaredFunctionName). */
  readonly declaredName: string;
  /** The IAM role name its stack must give the function's role. */
  readonly iamRoleName: string;
  readonly grant: SearchGrant;
}

/** One grant per declared OpenSearch user: its fixed role as the backend role, its declared access as the OpenSearch role. */
export function declaredSearchGrants(stack: Stack, app: Pick<App, "logicalPrefixedName">): DeclaredSearchGrant[] {
  const users: Array<{ readonly name: string; readonly search: SearchAccess }> = [...searchUsers(), positionsDeliverySearchUser];
  const grants = users.map(({ name, search }) => {
    const iamRoleName = searchUserRoleName(app, name);
    const roleArn = stack.formatArn({ service: "iam", region: "", resource: "role", resourceName: iamRoleName });
    return { declaredName: name, iamRoleName, grant: searchGrant(searchRoleName(name), [roleArn], search, domainIndexPrefix) };
  });
  for (const key of ["iamRoleName", "grant"] as const) {
    const names = grants.map((entry) => (key === "grant" ? entry.grant.roleName : entry.iamRoleName));
    const repeated = names.filter((name, index) => names.indexOf(name) !== index);
    if (repeated.length > 0) throw new Error(`Declared functions share the OpenSearch-mapped name ${repeated.join(", ")}: rename one`);
  }
  return grants;
}
