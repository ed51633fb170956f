import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  closeSearchClient,
  createSearchClient,
  defaultSearchUrl,
  getSearchClient,
  searchConfigFromEnv,
  searchIndexName,
  SearchConfigError,
} from "../../src/search/search-client.js";
import { startStandIn, type RecordedRequest, type StandIn } from "./support.js";

const savedEnv = { ...process.env };
let standIn: StandIn | undefined;

afterEach(async () => {
  process.env = { ...savedEnv };
  await closeSearchClient();
  await standIn?.close();
  standIn = undefined;
});

describe("searchConfigFromEnv", () => {
  it("defaults to the local node, without auth or prefix", () => {
    expect(searchConfigFromEnv({})).toEqual({ url: defaultSearchUrl, auth: "none", indexPrefix: "", requestTimeoutMs: 5_000, maxRetries: 2 });
  });

  it("reads the domain, SigV4 with the region, and the prefix", () => {
    const config = searchConfigFromEnv({
      HAUL_OPENSEARCH_URL: "https://search-haul.eu-west-1.es.amazonaws.com",
      HAUL_OPENSEARCH_AUTH: "aws-sigv4",
      AWS_REGION: "eu-west-1",
      HAUL_OPENSEARCH_INDEX_PREFIX: "dev-",
    });
    expect(config).toMatchObject({ url: "https://search-haul.eu-west-1.es.amazonaws.com", auth: "aws-sigv4", region: "eu-west-1", indexPrefix: "dev-" });
  });

  it("refuses a bad value with a message naming the variable", () => {
    const failure = (env: NodeJS.ProcessEnv) => {
      try {
        searchConfigFromEnv(env);
      } catch (error) {
        expect(error).toBeInstanceOf(SearchConfigError);
        return (error as Error).message;
      }
      throw new Error("no error thrown");
    };
    expect(failure({ HAUL_OPENSEARCH_URL: "localhost:9200" })).toMatch(/HAUL_OPENSEARCH_URL must be an http:\/\/ or https:\/\/ URL.*\(got "localhost:9200"\)/);
    expect(failure({ HAUL_OPENSEARCH_URL: "not a url" })).toMatch(/HAUL_OPENSEARCH_URL/);
    expect(failure({ HAUL_OPENSEARCH_AUTH: "basic" })).toMatch(/HAUL_OPENSEARCH_AUTH must be `none` or `aws-sigv4` \(got "basic"\)/);
    expect(failure({ HAUL_OPENSEARCH_AUTH: "aws-sigv4" })).toMatch(/AWS_REGION is needed to sign requests/);
    expect(failure({ HAUL_OPENSEARCH_INDEX_PREFIX: "Test_" })).toMatch(/HAUL_OPENSEARCH_INDEX_PREFIX must be empty or lowercase/);
  });
});

describe("searchIndexName", () => {
  it("puts the configured prefix on a family name", () => {
    expect(searchIndexName("driver-messages", { indexPrefix: "bench-" })).toBe("bench-driver-messages");
    // vitest.config.ts gives tests the prefix test-.
    expect(searchIndexName("driver-messages")).toBe("test-driver-messages");
    expect(() => searchIndexName("Driver Messages")).toThrow(SearchConfigError);
  });
});

describe("the shared OpenSearch client", () => {
  it("is one client per process until closed, talking to the node", async () => {
    const client = getSearchClient();
    expect(getSearchClient()).toBe(client);
    const { body } = await client.info();
    expect(body.version.distribution).toBe("opensearch");
    await closeSearchClient();
    expect(getSearchClient()).not.toBe(client);
  });

  it("is not created from a bad environment, and is once it is fixed", () => {
    process.env.HAUL_OPENSEARCH_AUTH = "kerberos";
    expect(() => getSearchClient()).toThrow(/HAUL_OPENSEARCH_AUTH/);
    process.env.HAUL_OPENSEARCH_AUTH = "none";
    expect(getSearchClient()).toBeDefined();
  });
});

describe("request signing", () => {
  const credentials = { accessKeyId: "AKIDHAULTEST", secretAccessKey: "haul-test-secret" };

  async function captureRequests(auth: "none" | "aws-sigv4"): Promise<RecordedRequest[]> {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: "eu-central-1" });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    standIn = await startStandIn((request) =>
      request.method === "PUT" ? { status: 201, body: { _index: "test-signed", _id: "1", result: "created" } } : { status: 200, body: { status: "green" } },
    );
    Object.assign(process.env, { HAUL_OPENSEARCH_URL: standIn.url, HAUL_OPENSEARCH_AUTH: auth });
    const client = getSearchClient();
    await client.cluster.health();
    await client.index({ index: "test-signed", id: "1", body: { driverId: "d-1", text: "on my way" } });
    return standIn.requests;
  }

  it("signs every request with SigV4 for service es, from the SDK's credential chain", async () => {
    const requests = await captureRequests("aws-sigv4");
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual(["GET /_cluster/health", "PUT /test-signed/_doc/1"]);
    for (const request of requests) {
      const authorization = String(request.headers.authorization);
      expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDHAULTEST\/\d{8}\/eu-central-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
      expect(request.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
      expect(request.headers["x-amz-content-sha256"]).toBe(sha256(request.body));
      // Recomputed here from the secret: the signature is right, not merely well-formed.
      expect(authorization.split("Signature=")[1]).toBe(expectedSignature(request, credentials.secretAccessKey));
    }
  });

  it("sends plain requests in none mode", async () => {
    const requests = await captureRequests("none");
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers["x-amz-date"]).toBeUndefined();
      expect(request.headers["x-amz-content-sha256"]).toBeUndefined();
    }
  });

  it("refuses to build a signing client without a region", () => {
    expect(() => createSearchClient({ url: defaultSearchUrl, auth: "aws-sigv4" })).toThrow(/region is needed/);
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac("sha256", key).update(text, "utf8").digest();
}

/** SigV4 as AWS specifies it, for a request without a query string. */
function expectedSignature(request: RecordedRequest, secret: string): string {
  const authorization = String(request.headers.authorization);
  const scope = /Credential=[^/]+\/([^,]+),/.exec(authorization)![1]!;
  const signedHeaders = /SignedHeaders=([^,]+),/.exec(authorization)![1]!;
  const [date, region, service] = scope.split("/") as [string, string, string];
  const canonicalHeaders = signedHeaders
    .split(";")
    .map((name) => `${name}:${String(request.headers[name]).trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const [path, query = ""] = request.url.split("?");
  const canonicalRequest = [request.method, path, query, canonicalHeaders, signedHeaders, sha256(request.body)].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", String(request.headers["x-amz-date"]), scope, sha256(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  return hmac(signingKey, stringToSign).toString("hex");
}
