/**
 * The local cloud does not run OpenSearch itself: scripts/local-services.sh starts a real node (or
 * HAUL_OPENSEARCH_URL names the user's own). At start the local cloud only makes sure one answers,
 * so that a missing node is one clear sentence instead of 503s from every search route later.
 */
import { closeSearchClient, getSearchClient, searchConfigFromEnv } from "@haul/core/search/search-client";

export interface SearchNode {
  readonly url: string;
  /** green or yellow */
  readonly status: string;
  stop(): Promise<void>;
}

export async function connectToSearchNode(): Promise<SearchNode> {
  const { url } = searchConfigFromEnv();
  let status: string;
  try {
    const response = await getSearchClient().cluster.health({ timeout: "5s" });
    status = String(response.body.status);
  } catch (error) {
    await closeSearchClient();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`OpenSearch at ${url} does not answer (${reason}); start it with \`npm run services -- start\`, or set HAUL_OPENSEARCH_URL`);
  }
  if (status !== "green" && status !== "yellow") {
    await closeSearchClient();
    throw new Error(`OpenSearch at ${url} is ${status}; see \`npm run services -- status\` and .haul/logs/opensearch.log`);
  }
  return { url, status, stop: closeSearchClient };
}
