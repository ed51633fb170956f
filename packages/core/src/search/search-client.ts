/**
 * The one shared OpenSearch client (driver messages, positions, logs), created on first use from
 * the environment. Configuration picks the mode, not code paths in callers:
 *
 *   HAUL_OPENSEARCH_URL           the node or domain endpoint (default http://127.0.0.1:9200)
 *   HAUL_OPENSEARCH_AUTH          `none` (plain HTTP, the local node) or `aws-sigv4` (an Amazon
 *                                 OpenSearch Service domain: requests signed for service `es` in
 *                                 AWS_REGION with the SDK's default credential chain, i.e. the
 *                                 Lambda's role)
 *   HAUL_OPENSEARCH_INDEX_PREFIX  prefix of every index, template and pipeline name Haul uses, so
 *                                 tests (`test-`) and benchmarks (`bench-`) share a node with the
 *                                 demo without touching its names, as tests use haul_test on MariaDB
 *
 * It fails fast rather than hanging a Lambda: a short request timeout and few retries (the
 * client retries connection errors and 502/503/504, never 429). The bulk helper turns the
 * client's retries off and retries item by item itself.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Client } from "@opensearch-project/opensearch";
import { AwsSigv4Signer } from "@opensearch-project/opensearch/aws-v3";
import { z } from "zod";

export const defaultSearchUrl = "http://127.0.0.1:9200";

/** Lowercase, as OpenSearch wants index names; cannot start with `-`, `_` or `+`. */
const namePattern = /^[a-z0-9][a-z0-9._-]*$/;

const SearchConfigSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://127.0.0.1:9200" }),
    auth: z.enum(["none", "aws-sigv4"], { error: "must be `none` or `aws-sigv4`" }),
    region: z.string().min(1).optional(),
    indexPrefix: z.string().regex(/^([a-z0-9][a-z0-9._-]*)?$/, "must be empty or lowercase letters, digits, `.`, `_` or `-`, not starting with a symbol"),
    requestTimeoutMs: z.number().int().positive(),
    maxRetries: z.number().int().min(0).max(5),
  })
  .refine((config) => config.auth !== "aws-sigv4" || config.region, {
    path: ["region"],
    message: "is needed to sign requests (aws-sigv4)",
  });

export type SearchConfig = z.output<typeof SearchConfigSchema>;

/** What callers may leave out of a config they build themselves. */
export type SearchConfigInput = Pick<SearchConfig, "url"> & Partial<SearchConfig>;

export class SearchConfigError extends Error {
  override name = "SearchConfigError";
}

const defaults = { auth: "none", indexPrefix: "", requestTimeoutMs: 5_000, maxRetries: 2 } as const;

// Where each config field comes from, so an error names the variable to fix.
const envNames: Readonly<Record<string, string>> = {
  url: "HAUL_OPENSEARCH_URL",
  auth: "HAUL_OPENSEARCH_AUTH",
  region: "AWS_REGION",
  indexPrefix: "HAUL_OPENSEARCH_INDEX_PREFIX",
};

/** The configuration the environment describes; throws SearchConfigError naming each bad variable. */
export function searchConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SearchConfig {
  return validate(
    {
      url: env.HAUL_OPENSEARCH_URL || defaultSearchUrl,
      auth: env.HAUL_OPENSEARCH_AUTH || defaults.auth,
      region: env.AWS_REGION || undefined,
      indexPrefix: env.HAUL_OPENSEARCH_INDEX_PREFIX ?? defaults.indexPrefix,
    },
    (field) => envNames[field] ?? field,
  );
}

function validate(input: Record<string, unknown>, nameOf: (field: string) => string): SearchConfig {
  const parsed = SearchConfigSchema.safeParse({ ...defaults, ...stripUndefined(input) });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? "config");
    const given = input[field];
    return `${nameOf(field)} ${issue.message}${given === undefined ? "" : ` (got ${JSON.stringify(given)})`}`;
  });
  throw new SearchConfigError(`Invalid OpenSearch configuration: ${problems.join("; ")}`);
}

function stripUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/** `family` under the configured prefix: the name of an index, template, pipeline or alias. */
export function searchIndexName(family: string, config: Pick<SearchConfig, "indexPrefix"> = searchConfigFromEnv()): string {
  if (!namePattern.test(family)) {
    throw new SearchConfigError(`"${family}" is not a valid index family name (lowercase letters, digits, \`.\`, \`_\`, \`-\`)`);
  }
  return `${config.indexPrefix}${family}`;
}

export function createSearchClient(input: SearchConfigInput): Client {
  const config = validate({ ...input }, (field) => field);
  return new Client({
    node: config.url,
    requestTimeout: config.requestTimeoutMs,
    pingTimeout: Math.min(config.requestTimeoutMs, 3_000),
    maxRetries: config.maxRetries,
    // One endpoint (a node, or a domain behind its load balancer): marking it dead and pinging
    // it back to life would only add requests; it is used either way.
    resurrectStrategy: "none",
    ...(config.auth === "aws-sigv4" ? signedTransport(config.region as string) : {}),
  });
}

function signedTransport(region: string) {
  // Memoised by the SDK: credentials are fetched once and refreshed before they expire.
  const credentials = defaultProvider();
  const { Connection, Transport } = AwsSigv4Signer({ region, service: "es", getCredentials: () => credentials() });
  return { Connection, Transport };
}

let client: Client | undefined;

/** The shared client; throws SearchConfigError (and stays unset) when the environment is wrong. */
export function getSearchClient(): Client {
  client ??= createSearchClient(searchConfigFromEnv());
  return client;
}

/** Closes the shared client (tests, scripts, graceful shutdown); the next use creates a new one. */
export async function closeSearchClient(): Promise<void> {
  const closing = client;
  client = undefined;
  await closing?.close().catch(() => undefined);
}
