/**
 * The reservation workflow's executions as the operator routes read them: the shared Step
 * Functions client adapted to core's StepFunctionsReader, and the state machine's ARN.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import type { WorkflowSource } from "@haul/core/workflow/executions";
import { getStepFunctionsClient } from "../shared/aws-clients.js";

export function workflowSource(): WorkflowSource {
  const stateMachineArn = process.env.HAUL_RESERVATION_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error("HAUL_RESERVATION_STATE_MACHINE_ARN is not set: the workflow's executions cannot be read");
  const client = getStepFunctionsClient();
  return {
    stateMachineArn,
    stepFunctions: {
      listExecutions: (input) => client.send(new ListExecutionsCommand(input)),
      describeExecution: (input) => client.send(new DescribeExecutionCommand(input)),
      getExecutionHistory: (input) => client.send(new GetExecutionHistoryCommand(input)),
    },
  };
}
