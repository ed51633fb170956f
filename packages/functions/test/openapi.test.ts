import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { httpApis } from "../src/declarations.js";
import { buildOpenApiDocument } from "../src/openapi/document.js";

const committed = JSON.parse(await readFile(new URL("../../../openapi.json", import.meta.url), "utf8"));

describe("the OpenAPI document", () => {
  const document = buildOpenApiDocument();

  it("is committed as generated (run `npm run openapi` after changing a schema)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it("describes exactly the declared routes, with bearer auth where the route needs a token", () => {
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => ({ key: `${method.toUpperCase()} ${path}`, operation: (item as Record<string, { security?: unknown }>)[method]! })),
    );
    const declared = httpApis.flatMap((api) => Object.entries(api.routes).map(([key, route]) => ({ key, route })));
    // A route several APIs serve (GET /health) is documented once.
    expect(documented.map((d) => d.key).sort()).toEqual([...new Set(declared.map((d) => d.key))].sort());
    for (const { key, route } of declared) {
      const operation = documented.find((d) => d.key === key)!.operation;
      expect(operation.security !== undefined, key).toBe(route.auth === "jwt");
    }
  });

  it("documents problem+json errors, including 401 and 403 on token routes", () => {
    const me = (document.paths?.["/me"] as Record<string, { responses: Record<string, { content?: object }> }>).get!;
    expect(Object.keys(me.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "404"]));
    expect(me.responses["401"]!.content).toHaveProperty(["application/problem+json"]);
  });
});
