/**
 * Stack outputs in SST's `.sst/outputs.json` shape, `{ "<stage>-haul-<Stack>": { "<Output>": "value" } }`.
 * The local cloud writes `.haul/outputs.json`; scripts and tests read either that file or a
 * deployed stage's `.sst/outputs.json` through `readOutputs`, so they run against both.
 * Imports nothing but node: built-ins, so scripts can use it without loading the local cloud.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type StackOutputs = Record<string, Record<string, string>>;

/** `.haul/outputs.json` at the repository root (this file is packages/local/src/outputs.ts). */
export const localOutputsFile = fileURLToPath(new URL("../../../.haul/outputs.json", import.meta.url));

/** Writes atomically, so a reader never sees half a file. */
export async function writeOutputs(file: string, outputs: StackOutputs): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(outputs, null, 2) + "\n");
  await rename(temporary, file);
}

/**
 * All stacks' outputs as one map (`ReservationApiUrl` -> "http://..."). The file defaults to
 * `HAUL_OUTPUTS_FILE` or else `.haul/outputs.json`. The same output name in two stacks with
 * different values is an error rather than a silent pick.
 */
export async function readOutputs(file: string = process.env.HAUL_OUTPUTS_FILE ?? localOutputsFile): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`No outputs at ${file}: start the local cloud (npm start) or deploy a stage (sst deploy) first`);
    }
    throw error;
  }
  return flattenOutputs(JSON.parse(text) as unknown, file);
}

export function flattenOutputs(stacks: unknown, source = "outputs"): Record<string, string> {
  if (!isRecord(stacks)) throw new Error(`${source} is not an object of stacks`);
  const flat: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [stackName, outputs] of Object.entries(stacks)) {
    if (!isRecord(outputs)) throw new Error(`${source}: stack ${stackName} is not an object of outputs`);
    for (const [name, value] of Object.entries(outputs)) {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      if (name in flat && flat[name] !== text) {
        throw new Error(`${source}: output ${name} differs between stacks ${origin[name]} and ${stackName}`);
      }
      flat[name] = text;
      origin[name] = stackName;
    }
  }
  return flat;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
