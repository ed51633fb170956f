/**
 * The local DynamoDB integration against real dynalite: results carry the integration's metadata,
 * and errors are named as Step Functions names them (DynamoDB.<Java SDK exception>).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tables } from "@haul/functions/declarations";
import { startDynalite, type RunningDynalite } from "../src/dynamodb/dynalite-server.js";
import { ensureTables, physicalTableName } from "../src/dynamodb/tables.js";
import { createDynamoDbTaskClient, type DynamoDbTaskClient } from "../src/stepfunctions/tasks/dynamodb-task.js";

let dynalite: RunningDynalite;
let task: DynamoDbTaskClient;
const tableName = physicalTableName("tasktest", tables.trackingSessions);

beforeAll(async () => {
  dynalite = await startDynalite({ host: "127.0.0.1", port: 0, inProcess: true });
  await ensureTables({ endpoint: dynalite.endpoint, stage: "tasktest", tables: [tables.trackingSessions] });
  task = createDynamoDbTaskClient({ endpoint: dynalite.endpoint, region: "us-east-1" });
});

afterAll(async () => {
  task.destroy();
  await dynalite.stop();
});

const session = (reservationId: string) => ({
  TableName: tableName,
  Item: { reservationId: { S: reservationId }, sessionStatus: { S: "OPEN" }, expiresAt: { N: "1930982400" } },
  ConditionExpression: "attribute_not_exists(reservationId)",
});

describe("the DynamoDB task integration", () => {
  it("puts and gets an item for real, with the integration's HTTP metadata", async () => {
    const put = (await task.invoke("putItem", session("r-1"))) as Record<string, unknown>;
    expect(put).toMatchObject({ SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: expect.any(String) } });
    const got = await task.invoke("getItem", { TableName: tableName, Key: { reservationId: { S: "r-1" } } });
    expect(got).toMatchObject({ Item: { reservationId: { S: "r-1" }, sessionStatus: { S: "OPEN" }, expiresAt: { N: "1930982400" } } });
    const updated = await task.invoke("updateItem", {
      TableName: tableName,
      Key: { reservationId: { S: "r-1" } },
      UpdateExpression: "SET sessionStatus = :closed",
      ExpressionAttributeValues: { ":closed": { S: "CLOSED" } },
      ReturnValues: "ALL_NEW",
    });
    expect(updated).toMatchObject({ Attributes: { sessionStatus: { S: "CLOSED" } } });
    await task.invoke("deleteItem", { TableName: tableName, Key: { reservationId: { S: "r-1" } } });
    expect(await task.invoke("getItem", { TableName: tableName, Key: { reservationId: { S: "r-1" } } })).not.toHaveProperty("Item");
  });

  it("names a failed condition DynamoDB.ConditionalCheckFailedException with the Java SDK's cause", async () => {
    await task.invoke("putItem", session("r-2"));
    const error = await task.invoke("putItem", session("r-2")).catch((thrown: Error) => thrown);
    expect(error).toMatchObject({ name: "DynamoDB.ConditionalCheckFailedException" });
    expect((error as Error).message).toMatch(
      /^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: \S+; Proxy: null\)$/,
    );
  });

  it("names an unknown table and a malformed request as the integration does", async () => {
    const missing = await task.invoke("putItem", { ...session("r-3"), TableName: "no-such-table" }).catch((thrown: Error) => thrown);
    expect(missing).toMatchObject({ name: "DynamoDB.ResourceNotFoundException" });
    const malformed = await task.invoke("putItem", { TableName: tableName, Item: { reservationId: { N: "not a number" } } }).catch((thrown: Error) => thrown);
    expect(malformed).toMatchObject({ name: "DynamoDB.AmazonDynamoDBException" });
    expect((malformed as Error).message).toMatch(/Error Code: ValidationException/);
    await expect(task.invoke("putItem", [] as never)).rejects.toMatchObject({ name: "DynamoDB.AmazonDynamoDBException" });
  });

  it("names an endpoint that does not answer DynamoDB.SdkClientException", async () => {
    const nowhere = createDynamoDbTaskClient({ endpoint: "http://127.0.0.1:1", region: "us-east-1" });
    await expect(nowhere.invoke("putItem", session("r-4"))).rejects.toMatchObject({ name: "DynamoDB.SdkClientException" });
    nowhere.destroy();
  });
});
