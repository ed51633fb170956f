/**
 * DynamoDB's Time to Live for dynalite, which has none. Every `intervalMs` it deletes, in each
 * table that declares a `timeToLiveAttribute`, the items whose attribute is a number of epoch
 * seconds in the past; items without it, or with a non-number, stay, as in DynamoDB. DynamoDB
 * deletes within days, this within one interval; readers must not rely on either (they filter).
 * Each delete is conditional on the item still being expired, so an item renewed meanwhile stays.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";

export interface ExpiringTable {
  readonly tableName: string;
  /** The partition key, and the sort key if any. */
  readonly keyAttributes: readonly string[];
  readonly timeToLiveAttribute: string;
}

export interface TimeToLiveSweeperOptions {
  readonly endpoint: string;
  readonly region?: string;
  readonly tables: readonly ExpiringTable[];
  /** Default 30 s. */
  readonly intervalMs?: number;
  /** A failed sweep is reported here and tried again next interval; default: stderr. */
  readonly onError?: (error: unknown) => void;
}

export interface TimeToLiveSweeper {
  /** Deletes what has expired by `now`; returns how many items went. */
  sweep(now?: Date): Promise<number>;
  stop(): Promise<void>;
}

export function startTimeToLiveSweeper(options: TimeToLiveSweeperOptions): TimeToLiveSweeper {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? "us-east-1",
    // Never real credentials against a local endpoint.
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`[dynamodb ttl] ${error instanceof Error ? error.message : String(error)}\n`));
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const sweep = (now: Date = new Date()): Promise<number> => {
    // One sweep at a time: a slow one is never overtaken by the next.
    running ??= sweepAll(client, options.tables, now).finally(() => (running = undefined));
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      sweep().catch(onError).finally(schedule);
    }, options.intervalMs ?? 30_000).unref();
  };
  schedule();

  return {
    sweep,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
      client.destroy();
    },
  };
}

async function sweepAll(client: DynamoDBClient, tables: readonly ExpiringTable[], now: Date): Promise<number> {
  let deleted = 0;
  for (const table of tables) deleted += await sweepTable(client, table, Math.floor(now.getTime() / 1000));
  return deleted;
}

async function sweepTable(client: DynamoDBClient, table: ExpiringTable, nowSeconds: number): Promise<number> {
  const names = Object.fromEntries([table.timeToLiveAttribute, ...table.keyAttributes].map((name, index) => [`#a${index}`, name]));
  const ttlName = "#a0";
  const keyNames = table.keyAttributes.map((_, index) => `#a${index + 1}`);
  const expired = { ":now": { N: String(nowSeconds) } };
  let deleted = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    // A number attribute compared with a number: strings and other types never match, as in DynamoDB.
    const page = await client.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression: `${ttlName} < :now`,
        ProjectionExpression: keyNames.join(", "),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: expired,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const key of page.Items ?? []) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table.tableName,
            Key: key,
            ConditionExpression: `${ttlName} < :now`,
            ExpressionAttributeNames: { [ttlName]: table.timeToLiveAttribute },
            ExpressionAttributeValues: expired,
          }),
        );
        deleted++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
