/**
 * The AWS SDK clients handlers share, one per service, created on first use and kept for the life
 * of the execution environment. Locally the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables point
 * them at the local cloud; nothing here knows about local endpoints.
 */
import { SFNClient } from "@aws-sdk/client-sfn";

let stepFunctions: SFNClient | undefined;

export function getStepFunctionsClient(): SFNClient {
  stepFunctions ??= new SFNClient({});
  return stepFunctions;
}

/** Drops the clients (tests that change endpoints); the next use creates new ones. */
export function resetAwsClients(): void {
  stepFunctions?.destroy();
  stepFunctions = undefined;
}
