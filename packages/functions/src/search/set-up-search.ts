/**
 * Runs on deploy (SST `Script` onCreate/onUpdate, stacks/Search.ts), inside the VPC, as the
 * OpenSearch domain's master role: applies the index families (the function's
 * `copyFiles: [{ from: "search/index-families", ... }]` puts them beside the bundle), then maps
 * each declared user's IAM role to its least-privilege OpenSearch role. The grants arrive in the
 * Script's params (`event.params.grants`), so changing them re-runs this. Throwing fails the
 * deploy, which is what a template or grant that cannot be applied must do.
 */
import { join } from "node:path";
import { applySearchGrants, parseSearchGrants } from "@haul/core/search/access-control";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { getSearchClient } from "@haul/core/search/search-client";
import { logger } from "../shared/logger.js";

export interface SetUpSearchEvent {
  readonly params?: { readonly grants?: unknown };
}

export interface SetUpSearchResult {
  /** `<family>@<version>` applied by this run, and the families already at their file's version. */
  readonly familiesApplied: string[];
  readonly familiesUnchanged: string[];
  /** OpenSearch roles put with their mappings, and managed roles deleted because no longer granted. */
  readonly rolesMapped: string[];
  readonly rolesRemoved: string[];
}

export async function handler(event: SetUpSearchEvent): Promise<SetUpSearchResult> {
  // Checked before anything is sent: bad params change nothing on the domain. Required, even when
  // empty: a run without them would take every managed role for revoked.
  const grants = parseSearchGrants(event.params?.grants);
  const client = getSearchClient();
  const log = (message: string) => logger.info(message);

  const directory = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), "search", "index-families");
  const families = await applyIndexFamilies(client, { directory, log });
  const access = await applySearchGrants(client, grants, { log });

  const result = {
    familiesApplied: families.applied.map((family) => `${family.family}@${family.version}`),
    familiesUnchanged: families.unchanged.map((family) => `${family.family}@${family.version}`),
    rolesMapped: [...access.applied],
    rolesRemoved: [...access.removed],
  };
  logger.info("search set up", { ...result });
  return result;
}
