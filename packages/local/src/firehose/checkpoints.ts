/**
 * Where the Firehose stand-in is in each shard: the sequence number of the last record delivered
 * (indexed or backed up), and whether the shard is closed and read to its end. Kept in one JSON
 * file written atomically, so a stop or a crash resumes after the last delivered record and never
 * before it: at least once.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

const ShardCheckpointSchema = z.object({
  /** Last delivered record's sequence number; absent while nothing of the shard was delivered. */
  sequenceNumber: z.string().regex(/^\d+$/).optional(),
  /** The shard is closed (resharded) and everything in it was delivered: its children are next. */
  finished: z.boolean().optional(),
});

const CheckpointFileSchema = z.object({
  /** The stream the sequence numbers belong to. */
  streamName: z.string().min(1),
  shards: z.record(z.string(), ShardCheckpointSchema),
});

export type ShardCheckpoint = z.output<typeof ShardCheckpointSchema>;

export interface CheckpointStore {
  get(shardId: string): ShardCheckpoint | undefined;
  /** Records the shards' new positions and writes the file before resolving. */
  advance(updates: Readonly<Record<string, ShardCheckpoint>>): Promise<void>;
}

export async function openCheckpointStore(file: string, streamName: string): Promise<CheckpointStore> {
  const shards = new Map<string, ShardCheckpoint>(Object.entries(await readCheckpoints(file, streamName)));
  let writing = Promise.resolve();
  return {
    get: (shardId) => shards.get(shardId),
    advance(updates) {
      for (const [shardId, update] of Object.entries(updates)) shards.set(shardId, { ...shards.get(shardId), ...update });
      const snapshot = { streamName, shards: Object.fromEntries(shards) };
      // One write at a time, in call order: a later checkpoint never lands before an earlier one.
      writing = writing.then(() => writeAtomically(file, JSON.stringify(snapshot, null, 2) + "\n"));
      return writing;
    },
  };
}

async function readCheckpoints(file: string, streamName: string): Promise<Record<string, ShardCheckpoint>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const parsed = CheckpointFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a checkpoint file: ${parsed.error.message}; delete it to read the stream from its start`);
  // Another stream's positions mean nothing here.
  return parsed.data.streamName === streamName ? parsed.data.shards : {};
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}
