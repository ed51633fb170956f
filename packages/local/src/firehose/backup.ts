/**
 * The backup of documents the Firehose stand-in could not index, as Firehose writes them to its
 * S3 bucket (backup mode FailedDocumentsOnly): one object per delivery, one JSON line per
 * document, keyed `<delivery stream>/YYYY/MM/DD/HH/<delivery stream>-1-YYYY-MM-DD-HH-MM-SS-<random>`
 * (UTC), with Firehose's fields. `rawData` is the record as it came from the stream, base64.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export interface FailedDocument {
  readonly attemptsMade: number;
  /** When the record reached the stream, epoch milliseconds. */
  readonly arrivalTimestamp: number;
  /** The HTTP status OpenSearch answered (e.g. "400"), or the client's error name when no answer came. */
  readonly errorCode: string;
  /** OpenSearch's error, as JSON `{type, reason}`. */
  readonly errorMessage: string;
  /** When the last attempt ended, epoch milliseconds. */
  readonly attemptEndingTimestamp: number;
  /** The id OpenSearch gave or would have given the document; empty when none is known. */
  readonly esDocumentId: string;
  readonly esIndexName: string;
  readonly rawData: string;
}

/** Writes one delivery's failed documents; returns the file written. */
export async function writeBackup(backupDir: string, deliveryStreamName: string, documents: readonly FailedDocument[], at: Date = new Date()): Promise<string> {
  const iso = at.toISOString();
  const [year, month, day, hour] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13)];
  const stamp = `${year}-${month}-${day}-${hour}-${iso.slice(14, 16)}-${iso.slice(17, 19)}`;
  const directory = path.join(backupDir, deliveryStreamName, year, month, day, hour);
  const file = path.join(directory, `${deliveryStreamName}-1-${stamp}-${randomUUID()}`);
  await mkdir(directory, { recursive: true });
  // Whole or not at all, as an S3 object appears: a reader never sees half a delivery.
  await writeFile(`${file}.tmp`, documents.map((document) => JSON.stringify(document) + "\n").join(""));
  await rename(`${file}.tmp`, file);
  return file;
}
