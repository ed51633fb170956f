import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flattenOutputs, localOutputsFile, readOutputs, writeOutputs } from "../src/outputs.js";
import { repoRoot } from "../src/config.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "haul-outputs-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("outputs", () => {
  it("writes SST's outputs.json shape and reads it back flattened", async () => {
    const file = path.join(dir, "nested", "outputs.json");
    const stacks = {
      "local-haul-Identity": { IssuerUrl: "http://127.0.0.1:4002", UserPoolClientId: "haul-local-client" },
      "local-haul-ReservationApi": { ReservationApiUrl: "http://127.0.0.1:4000" },
    };
    await writeOutputs(file, stacks);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(stacks);
    expect(await readOutputs(file)).toEqual({
      IssuerUrl: "http://127.0.0.1:4002",
      UserPoolClientId: "haul-local-client",
      ReservationApiUrl: "http://127.0.0.1:4000",
    });
  });

  it("reads a deployed stage's .sst/outputs.json the same way", async () => {
    const file = path.join(dir, "sst-outputs.json");
    await writeFile(
      file,
      JSON.stringify({
        "dev-haul-ReservationApi": { ReservationApiUrl: "https://abc123defg.execute-api.eu-west-1.amazonaws.com" },
        "dev-haul-Auth": { IssuerUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc", UserPoolClientId: "1example23456789" },
      }),
    );
    const outputs = await readOutputs(file);
    expect(outputs.ReservationApiUrl).toMatch(/^https:\/\//);
    expect(outputs.UserPoolClientId).toBe("1example23456789");
  });

  it("refuses an output name that differs between stacks, and explains a missing file", async () => {
    expect(() => flattenOutputs({ A: { Url: "x" }, B: { Url: "y" } })).toThrow(/Url differs between stacks A and B/);
    expect(flattenOutputs({ A: { Url: "x" }, B: { Url: "x" } })).toEqual({ Url: "x" });
    await expect(readOutputs(path.join(dir, "missing.json"))).rejects.toThrow(/start the local cloud/);
  });

  it("defaults to .haul/outputs.json at the repository root", () => {
    expect(localOutputsFile).toBe(path.join(repoRoot, ".haul", "outputs.json"));
  });
});
