/**
 * OpenSearch index templates as versioned files, as sql/migrations is for MySQL. One JSON file per
 * index family (driver messages, positions, logs...) in search/index-families/, whose README.md
 * describes the format: a version, and the family's ingest pipelines, component templates and
 * index templates.
 *
 * `applyIndexFamilies` puts them on the cluster in file-name order and records each family's
 * version and checksum in OpenSearch itself (index `<prefix>haul-index-families`, one document per
 * family). Per family:
 *   - the recorded version is the file's and the checksum matches: unchanged, nothing is sent;
 *   - no record, or an older version: applied (pipelines, then component templates, then index
 *     templates: each PUT overwrites, so a run cut short is completed by the next) and recorded;
 *   - the same version with another checksum: refused (bump the version);
 *   - a file older than the record: refused (older code against a newer cluster).
 * Every file is checked before anything is sent. Templates shape indices created after them;
 * existing indices keep their mappings (roll over or reindex for that).
 *
 * The prefix (HAUL_OPENSEARCH_INDEX_PREFIX by default) goes on every name: pipelines, component and
 * index templates, `index_patterns`, `composed_of`, `default_pipeline`/`final_pipeline` settings,
 * aliases and `pipeline` processors' references. The checksum is of the file's content before
 * that (description excluded), so it does not depend on the prefix or the wording.
 *
 * Concurrent runs are serialised by a lock document in the record index, created only if absent;
 * one left behind by a crashed run expires after `lockTtlMs`.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { errors, type API, type Client } from "@opensearch-project/opensearch";
import { z } from "zod";
import { searchConfigFromEnv } from "./search-client.js";

export const familyRecordIndex = "haul-index-families";

/** Lowercase, as OpenSearch wants names; not starting with a symbol. */
const namePattern = /^[a-z0-9][a-z0-9._-]*$/;
const Name = z.string().regex(namePattern, "must be lowercase letters, digits, `.`, `_` or `-`, not starting with a symbol");
const Body = z.record(z.string(), z.unknown());

const IndexFamilyFile = z.strictObject({
  family: Name,
  version: z.number().int().positive(),
  description: z.string().min(1),
  pipelines: z.record(Name, z.looseObject({ processors: z.array(Body) })).default({}),
  componentTemplates: z.record(Name, z.looseObject({ template: Body })).default({}),
  indexTemplates: z
    .record(
      Name,
      z.looseObject({
        index_patterns: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        composed_of: z.array(Name).optional(),
        template: Body.optional(),
      }),
    )
    .default({}),
});

type Definitions = Pick<z.output<typeof IndexFamilyFile>, "pipelines" | "componentTemplates" | "indexTemplates">;

export interface IndexFamily extends Definitions {
  readonly family: string;
  readonly version: number;
  readonly description: string;
  readonly fileName: string;
  /** sha256 of the definitions, canonical JSON (keys sorted), before prefixing. */
  readonly checksum: string;
}

export interface ApplyIndexFamiliesOptions {
  readonly directory: string;
  /** Prefix of every name; default HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly prefix?: string;
  /** Receives one line per family applied (the deploy handler passes its logger). */
  readonly log?: (message: string) => void;
  /** How long to wait for another run's lock; default 60 s. */
  readonly lockTimeoutMs?: number;
  /** After this, a lock is taken to be a crashed run's; default 5 min. */
  readonly lockTtlMs?: number;
}

export interface IndexFamilyReport {
  /** Applied by this run, in file order. */
  readonly applied: readonly { readonly family: string; readonly version: number; readonly previousVersion?: number }[];
  /** Already on the cluster at the file's version and checksum. */
  readonly unchanged: readonly { readonly family: string; readonly version: number }[];
}

export class IndexFamilyError extends Error {
  override name = "IndexFamilyError";
}

/**
 * The family files of `directory` (absolute paths, in the order they are applied). Synchronous,
 * so a CDK app can hash them while it synthesises and re-run the deploy step when they change.
 */
export function listIndexFamilyFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
      .map((entry) => entry.name);
  } catch (error) {
    throw new IndexFamilyError(`Cannot read the index family directory ${directory}: ${errorMessage(error)}`, { cause: error });
  }
  return names.sort().map((name) => resolve(directory, name));
}

/** Reads and validates every family file of `directory`, in file-name order. */
export async function readIndexFamilies(directory: string): Promise<IndexFamily[]> {
  const families: IndexFamily[] = [];
  for (const path of listIndexFamilyFiles(directory)) {
    const fileName = basename(path);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, "utf8"));
    } catch (error) {
      throw new IndexFamilyError(`${path} is not valid JSON: ${errorMessage(error)}`, { cause: error });
    }
    const parsed = IndexFamilyFile.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "(file)"}: ${issue.message}`);
      throw new IndexFamilyError(`${path} is not an index family file:\n${problems.join("\n")}`);
    }
    const { family, version, description, ...definitions } = parsed.data;
    if (fileName !== `${family}.json`) throw new IndexFamilyError(`${path} defines family "${family}": name the file ${family}.json`);
    const foreign = definitionNames(definitions).filter((name) => name !== family && !name.startsWith(`${family}-`));
    if (foreign.length > 0) {
      throw new IndexFamilyError(
        `${path}: ${foreign.join(", ")} must be named "${family}" or "${family}-...", so that families cannot overwrite each other's`,
      );
    }
    families.push({ family, version, description, ...definitions, fileName, checksum: sha256(canonicalJson(definitions)) });
  }
  return families;
}

/** Applies the families of `options.directory` that are new or newer than recorded; see the top of this file. */
export async function applyIndexFamilies(client: Client, options: ApplyIndexFamiliesOptions): Promise<IndexFamilyReport> {
  const families = await readIndexFamilies(options.directory);
  if (families.length === 0) return { applied: [], unchanged: [] };
  const prefix = options.prefix ?? searchConfigFromEnv().indexPrefix;
  const log = options.log ?? (() => undefined);
  const recordIndex = `${prefix}${familyRecordIndex}`;

  await ensureRecordIndex(client, recordIndex);
  const lock = await acquireLock(client, recordIndex, options.lockTimeoutMs ?? 60_000, options.lockTtlMs ?? 5 * 60_000);
  try {
    const recorded = await readRecords(client, recordIndex, families.map((family) => family.family));
    const problems: string[] = [];
    const pending: { family: IndexFamily; previousVersion?: number }[] = [];
    const unchanged: { family: string; version: number }[] = [];
    for (const family of families) {
      const record = recorded.get(family.family);
      if (record && family.version < record.version) {
        problems.push(`${family.fileName} has version ${family.version}, but version ${record.version} is applied: this code is older than the cluster's templates`);
      } else if (record && family.version === record.version && family.checksum !== record.checksum) {
        problems.push(
          `${family.fileName} changed since version ${family.version} was applied (checksum ${record.checksum}, the file now has ${family.checksum}): bump "version" to apply the change`,
        );
      } else if (record && family.version === record.version) {
        unchanged.push({ family: family.family, version: family.version });
      } else {
        pending.push({ family, ...(record ? { previousVersion: record.version } : {}) });
      }
    }
    if (problems.length > 0) {
      throw new IndexFamilyError(`Refusing to apply the index families of ${options.directory} to ${recordIndex}:\n  ${problems.join("\n  ")}`);
    }

    const applied: { family: string; version: number; previousVersion?: number }[] = [];
    for (const { family, previousVersion } of pending) {
      await putDefinitions(client, family, prefix);
      await client.index({
        index: recordIndex,
        id: family.family,
        body: { family: family.family, version: family.version, checksum: family.checksum, description: family.description, appliedAt: new Date().toISOString() },
        refresh: "wait_for",
      });
      applied.push({ family: family.family, version: family.version, ...(previousVersion === undefined ? {} : { previousVersion }) });
      log(`applied index family ${family.family} version ${family.version}${previousVersion === undefined ? "" : ` (was ${previousVersion})`} with prefix "${prefix}"`);
    }
    return { applied, unchanged };
  } finally {
    await releaseLock(client, recordIndex, lock);
  }
}

async function putDefinitions(client: Client, family: IndexFamily, prefix: string): Promise<void> {
  const put = async (what: string, request: () => Promise<unknown>) => {
    try {
      await request();
    } catch (error) {
      throw new IndexFamilyError(`${family.fileName}: ${what} failed: ${describeError(error)}`, { cause: error });
    }
  };
  for (const [name, body] of Object.entries(family.pipelines)) {
    const id = prefix + name;
    await put(`PUT _ingest/pipeline/${id}`, () => client.ingest.putPipeline({ id, body: prefixPipelineReferences(body, prefix) as API.Ingest_PutPipeline_RequestBody }));
  }
  for (const [name, body] of Object.entries(family.componentTemplates)) {
    const id = prefix + name;
    await put(`PUT _component_template/${id}`, () =>
      client.cluster.putComponentTemplate({ name: id, body: { ...body, template: prefixTemplate(body.template, prefix) } as API.Cluster_PutComponentTemplate_RequestBody }),
    );
  }
  for (const [name, body] of Object.entries(family.indexTemplates)) {
    const id = prefix + name;
    const prefixed = {
      ...body,
      index_patterns: [body.index_patterns].flat().map((pattern) => prefix + pattern),
      ...(body.composed_of ? { composed_of: body.composed_of.map((component) => prefix + component) } : {}),
      ...(body.template ? { template: prefixTemplate(body.template, prefix) } : {}),
    };
    await put(`PUT _index_template/${id}`, () => client.indices.putIndexTemplate({ name: id, body: prefixed as API.Indices_PutIndexTemplate_RequestBody }));
  }
}

// ---------------------------------------------------------------------------------------------
// Prefixing

const pipelineSettings = ["default_pipeline", "final_pipeline"];

/** A template's `settings` pipelines and `aliases` under the prefix. */
function prefixTemplate(template: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const result = { ...template };
  if (isObject(template.settings)) result.settings = prefixSettings(template.settings, prefix);
  if (isObject(template.aliases)) {
    result.aliases = Object.fromEntries(Object.entries(template.aliases).map(([alias, body]) => [prefix + alias, body]));
  }
  return result;
}

// Settings may be nested ({ index: { default_pipeline } }), flat ("index.default_pipeline") or bare (default_pipeline).
function prefixSettings(settings: Record<string, unknown>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => {
      const setting = key.startsWith("index.") ? key.slice("index.".length) : key;
      if (pipelineSettings.includes(setting) && typeof value === "string" && value !== "_none") return [key, prefix + value];
      if (key === "index" && isObject(value)) return [key, prefixSettings(value, prefix)];
      return [key, value];
    }),
  );
}

/** `{ "pipeline": { "name": ... } }` processors, wherever they are nested (on_failure, foreach...). */
function prefixPipelineReferences(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((item) => prefixPipelineReferences(item, prefix));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key === "pipeline" && isObject(item) && typeof item.name === "string") {
        return [key, { ...(prefixPipelineReferences(item, prefix) as object), name: prefix + item.name }];
      }
      return [key, prefixPipelineReferences(item, prefix)];
    }),
  );
}

function definitionNames(definitions: Definitions): string[] {
  return [...Object.keys(definitions.pipelines), ...Object.keys(definitions.componentTemplates), ...Object.keys(definitions.indexTemplates)];
}

// ---------------------------------------------------------------------------------------------
// The record index and its lock

interface FamilyRecord {
  readonly version: number;
  readonly checksum: string;
}

async function ensureRecordIndex(client: Client, index: string): Promise<void> {
  const exists = await client.indices.exists({ index });
  if (exists.body) return;
  try {
    await client.indices.create({
      index,
      body: {
        // One small shard, and a replica only where there is a second node to hold it (green on one node).
        settings: { index: { number_of_shards: 1, auto_expand_replicas: "0-1" } },
        mappings: {
          dynamic: false,
          properties: {
            family: { type: "keyword" },
            version: { type: "integer" },
            checksum: { type: "keyword" },
            description: { type: "text" },
            appliedAt: { type: "date" },
            holder: { type: "keyword" },
            expiresAt: { type: "date" },
          },
        },
      },
    });
  } catch (error) {
    // Another run created it first.
    if (errorType(error) !== "resource_already_exists_exception") {
      throw new IndexFamilyError(`Cannot create the index ${index}: ${describeError(error)}`, { cause: error });
    }
  }
}

async function readRecords(client: Client, index: string, families: readonly string[]): Promise<Map<string, FamilyRecord>> {
  const { body } = await client.mget({ index, body: { ids: [...families] } });
  const records = new Map<string, FamilyRecord>();
  for (const doc of body.docs as { _id: string; found?: boolean; _source?: FamilyRecord }[]) {
    if (doc.found && doc._source) records.set(doc._id, { version: Number(doc._source.version), checksum: String(doc._source.checksum) });
  }
  return records;
}

// Not a family name: those start with a letter or digit.
const lockId = "_lock";

interface Lock {
  readonly seqNo: number;
  readonly primaryTerm: number;
}

async function acquireLock(client: Client, index: string, timeoutMs: number, ttlMs: number): Promise<Lock> {
  const holder = randomUUID();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { body } = await client.index({
        index,
        id: lockId,
        op_type: "create",
        body: { holder, expiresAt: new Date(Date.now() + ttlMs).toISOString() },
      });
      return { seqNo: Number(body._seq_no), primaryTerm: Number(body._primary_term) };
    } catch (error) {
      if (!(error instanceof errors.ResponseError) || error.statusCode !== 409) throw error;
    }
    const current = await client.get({ index, id: lockId }, { ignore: [404] });
    const held = current.body as { found?: boolean; _seq_no?: number; _primary_term?: number; _source?: { expiresAt?: string } };
    if (held.found && Date.parse(held._source?.expiresAt ?? "") < Date.now()) {
      // A crashed run's: take it over, unless someone else just did.
      await client.delete({ index, id: lockId, if_seq_no: held._seq_no, if_primary_term: held._primary_term }, { ignore: [404, 409] });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new IndexFamilyError(
        `Another run has held the lock on ${index} for over ${timeoutMs} ms (until ${held._source?.expiresAt ?? "?"}); ` +
          `try again when it has finished, or delete the document ${lockId} of ${index} if that run crashed`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function releaseLock(client: Client, index: string, lock: Lock): Promise<void> {
  // Only our own lock: if it expired and another run took it, that one is not ours to delete.
  await client
    .delete({ index, id: lockId, if_seq_no: lock.seqNo, if_primary_term: lock.primaryTerm }, { ignore: [404, 409] })
    .catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorType(error: unknown): string | undefined {
  return error instanceof errors.ResponseError ? (error.body as { error?: { type?: string } } | undefined)?.error?.type : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof errors.ResponseError) {
    const cause = (error.body as { error?: { type?: string; reason?: string } } | undefined)?.error;
    if (cause) return `${error.statusCode} ${cause.type}: ${cause.reason}`;
  }
  return errorMessage(error);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
