/**
 * The SNS service integration (`arn:aws:states:::sns:publish`): the task's Parameters are the
 * Publish request, handed to the local topic. The result is Publish's response plus the
 * integration's HTTP metadata; errors are named `SNS.<Exception>` (e.g. SNS.NotFoundException).
 */
import { randomUUID } from "node:crypto";
import { SnsError, type PublishInput, type PublishResult } from "../../sns/topic.js";
import type { JsonValue } from "../definition.js";
import { integrationMetadata } from "./integration-metadata.js";
import { describeThrown, TaskError } from "./task-error.js";

export type SnsPublisher = (input: PublishInput) => PublishResult;

export function publishFromTask(publish: SnsPublisher, parameters: JsonValue): JsonValue {
  const requestId = randomUUID();
  try {
    const { MessageId } = publish(parameters as unknown as PublishInput);
    return { MessageId, ...integrationMetadata(requestId, "text/xml") };
  } catch (error) {
    if (error instanceof SnsError) {
      throw new TaskError(
        `SNS.${error.name}`,
        `${error.message} (Service: AmazonSNS; Status Code: ${error.statusCode}; Error Code: ${error.code}; Request ID: ${requestId}; Proxy: null)`,
      );
    }
    throw new TaskError("SNS.SdkClientException", describeThrown(error).message);
  }
}
