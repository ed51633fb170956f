import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  applyIndexFamilies,
  familyRecordIndex,
  IndexFamilyError,
  listIndexFamilyFiles,
  readIndexFamilies,
} from "../../src/search/index-families.js";
import { repoRoot } from "../support/database.js";
import { createTestClient, removeSearchObjects, testConfig, uniqueName } from "./support.js";

const prefix = testConfig.indexPrefix;
const recordIndex = `${prefix}${familyRecordIndex}`;
let client: Client;
let directory: string;
let family: string;

/** A family file as the README describes it; `version` and the extra field vary per test. */
function familyFile(version: number, extraField?: string) {
  return {
    family,
    version,
    description: "Messages between a customer and a driver",
    pipelines: {
      [`${family}-received`]: { processors: [{ set: { field: "receivedAt", value: "{{_ingest.timestamp}}" } }] },
      [`${family}-route`]: { processors: [{ pipeline: { name: `${family}-received` } }] },
    },
    componentTemplates: {
      [`${family}-mappings`]: {
        template: {
          mappings: {
            dynamic: "strict",
            properties: {
              driverId: { type: "keyword" },
              at: { type: "date" },
              receivedAt: { type: "date" },
              ...(extraField ? { [extraField]: { type: "keyword" } } : {}),
            },
          },
        },
      },
    },
    indexTemplates: {
      [family]: {
        index_patterns: [`${family}-*`],
        composed_of: [`${family}-mappings`],
        priority: 100,
        template: {
          settings: { index: { number_of_shards: 1, number_of_replicas: 0, default_pipeline: `${family}-route` } },
          aliases: { [family]: {} },
        },
      },
    },
  };
}

async function writeFamily(content: unknown, fileName = `${family}.json`): Promise<void> {
  await writeFile(join(directory, fileName), JSON.stringify(content, null, 2));
}

const apply = () => applyIndexFamilies(client, { directory, prefix });

beforeAll(async () => {
  client = createTestClient();
});

beforeEach(async () => {
  family = uniqueName("messages");
  directory = await mkdtemp(join(tmpdir(), "haul-index-families-"));
  await writeFile(join(directory, "README.md"), "not a family");
});

afterAll(async () => {
  await removeSearchObjects(client, `${prefix}messages-`);
  await client.indices.delete({ index: recordIndex }, { ignore: [404] });
  await client.close();
});

describe("applyIndexFamilies", () => {
  it("applies a family once, with every name prefixed, and changes nothing the second time", async () => {
    await writeFamily(familyFile(1));
    expect(await apply()).toEqual({ applied: [{ family, version: 1 }], unchanged: [] });

    const template = (await client.indices.getIndexTemplate({ name: `${prefix}${family}` })).body.index_templates[0]!.index_template;
    expect(template.index_patterns).toEqual([`${prefix}${family}-*`]);
    expect(template.composed_of).toEqual([`${prefix}${family}-mappings`]);
    expect(template.template?.settings).toMatchObject({ index: { default_pipeline: `${prefix}${family}-route` } });
    expect(Object.keys(template.template?.aliases ?? {})).toEqual([`${prefix}${family}`]);
    const component = await client.cluster.getComponentTemplate({ name: `${prefix}${family}-mappings` });
    expect(component.body.component_templates).toHaveLength(1);
    const pipelines = (await client.ingest.getPipeline({ id: `${prefix}${family}-*` })).body as Record<string, { processors: unknown[] }>;
    expect(Object.keys(pipelines).sort()).toEqual([`${prefix}${family}-received`, `${prefix}${family}-route`]);
    expect(pipelines[`${prefix}${family}-route`]!.processors).toEqual([{ pipeline: { name: `${prefix}${family}-received` } }]);
    const record = await client.get({ index: recordIndex, id: family });
    expect(record.body._source).toMatchObject({ family, version: 1, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });

    // The templates work: a new index matching the pattern gets the mapping, the pipeline and the alias.
    const index = `${prefix}${family}-2026.03`;
    await client.indices.create({ index });
    const created = (await client.indices.get({ index })).body[index]!;
    expect(created.settings?.index).toMatchObject({ default_pipeline: `${prefix}${family}-route` });
    expect(created.mappings).toMatchObject({ dynamic: "strict", properties: { driverId: { type: "keyword" }, receivedAt: { type: "date" } } });
    expect(Object.keys(created.aliases ?? {})).toEqual([`${prefix}${family}`]);
    // And the pipeline reaches the one it names under its prefixed name. (Simulated: the local
    // node has no ingest role, so documents are not put through pipelines there.)
    const simulated = await client.ingest.simulate({ id: `${prefix}${family}-route`, body: { docs: [{ _source: { driverId: "driver-1" } }] } });
    expect(simulated.body.docs[0]).toMatchObject({ doc: { _source: { driverId: "driver-1", receivedAt: expect.any(String) } } });

    const before = await snapshot();
    expect(await apply()).toEqual({ applied: [], unchanged: [{ family, version: 1 }] });
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a changed file at the applied version, and applies it once the version is bumped", async () => {
    await writeFamily(familyFile(1));
    await apply();
    const before = await snapshot();

    await writeFamily(familyFile(1, "reservationId"));
    const refused = apply();
    await expect(refused).rejects.toBeInstanceOf(IndexFamilyError);
    await expect(refused).rejects.toThrow(new RegExp(`${family}\\.json changed since version 1 was applied .*bump "version"`));
    expect(await snapshot()).toEqual(before);

    await writeFamily(familyFile(2, "reservationId"));
    expect(await apply()).toEqual({ applied: [{ family, version: 2, previousVersion: 1 }], unchanged: [] });
    const component = await client.cluster.getComponentTemplate({ name: `${prefix}${family}-mappings` });
    expect(component.body.component_templates[0]!.component_template.template.mappings).toMatchObject({ properties: { reservationId: { type: "keyword" } } });
    expect((await client.get({ index: recordIndex, id: family })).body._source).toMatchObject({ version: 2 });
  });

  it("refuses a file older than the applied version", async () => {
    await writeFamily(familyFile(2));
    await apply();
    await writeFamily(familyFile(1));
    await expect(apply()).rejects.toThrow(/has version 1, but version 2 is applied/);
  });

  it("does not care about formatting, key order or the description", async () => {
    const content = familyFile(1);
    await writeFamily(content);
    await apply();
    const { indexTemplates, componentTemplates, pipelines, version } = content;
    await writeFile(join(directory, `${family}.json`), JSON.stringify({ indexTemplates, componentTemplates, pipelines, version, family, description: "reworded" }));
    expect(await apply()).toEqual({ applied: [], unchanged: [{ family, version: 1 }] });
  });

  it("waits for another run's lock, and takes over one a crashed run left behind", async () => {
    await writeFamily(familyFile(1));
    await apply();
    const lock = { index: recordIndex, id: "_lock" };
    await client.index({ ...lock, body: { holder: "another run", expiresAt: new Date(Date.now() + 60_000).toISOString() }, refresh: true });
    await expect(applyIndexFamilies(client, { directory, prefix, lockTimeoutMs: 300 })).rejects.toThrow(/Another run has held the lock/);

    await client.index({ ...lock, body: { holder: "a crashed run", expiresAt: new Date(Date.now() - 1_000).toISOString() }, refresh: true });
    expect(await apply()).toEqual({ applied: [], unchanged: [{ family, version: 1 }] });
    // Released when done.
    expect((await client.get(lock, { ignore: [404] })).body.found).toBe(false);
  });
});

describe("index family files", () => {
  it("are the directory's .json files in name order", async () => {
    await writeFile(join(directory, "b.json"), "{}");
    await writeFile(join(directory, "a.json"), "{}");
    expect(listIndexFamilyFiles(directory)).toEqual([join(directory, "a.json"), join(directory, "b.json")]);
  });

  it("are refused when malformed, misnamed or naming another family's things", async () => {
    await writeFamily({ ...familyFile(1), version: 0 });
    await expect(readIndexFamilies(directory)).rejects.toThrow(/version: Too small/);
    await writeFamily(familyFile(1), "other-name.json");
    await rm(join(directory, `${family}.json`));
    await expect(readIndexFamilies(directory)).rejects.toThrow(new RegExp(`name the file ${family}\\.json`));
    await rm(join(directory, "other-name.json"));
    await writeFamily({ ...familyFile(1), pipelines: { "shared-pipeline": { processors: [] } } });
    await expect(readIndexFamilies(directory)).rejects.toThrow(/shared-pipeline must be named/);
    await writeFile(join(directory, `${family}.json`), "{ not json");
    await expect(readIndexFamilies(directory)).rejects.toThrow(/is not valid JSON/);
  });

  it("of the repository are valid (none ships yet; the README is not one)", async () => {
    const families = await readIndexFamilies(join(repoRoot, "search", "index-families"));
    expect(families.map((each) => each.family)).toEqual(listIndexFamilyFiles(join(repoRoot, "search", "index-families")).map((path) => path.replace(/^.*\/|\.json$/g, "")));
  });
});

/** What a run could change: the family's templates, pipelines and record. */
async function snapshot(): Promise<unknown> {
  const [templates, components, pipelines, record] = await Promise.all([
    client.indices.getIndexTemplate({ name: `${prefix}${family}*` }),
    client.cluster.getComponentTemplate({ name: `${prefix}${family}*` }),
    client.ingest.getPipeline({ id: `${prefix}${family}*` }),
    client.get({ index: recordIndex, id: family }),
  ]);
  return { templates: templates.body, components: components.body, pipelines: pipelines.body, record: record.body._source };
}
