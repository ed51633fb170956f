import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { NagSuppressions } from "cdk-nag";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Cron, Function as SstFunction, use, type StackContext } from "sst/constructs";
import { useProject } from "sst/project.js";
import { declaredFunctionName, reservationWorkflow, workflowReconciler, type WorkflowTaskDeclaration } from "../packages/functions/src/declarations.js";
import { Data } from "./Data.js";
import { functionAccess } from "./function-access.js";
import { subscribeFunctionLogs } from "./log-subscriptions.js";
import { Messaging } from "./Messaging.js";
import { suppressFunctionRoleFindings, suppressSstInternalFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { Observability } from "./Observability.js";
import { Search } from "./Search.js";
import { retentionDays, stageProfile } from "./stage-profile.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

type TaskName = keyof typeof reservationWorkflow.tasks;

/**
 * The reservation workflow: a Standard state machine built from THE ASL file (the local cloud runs
 * the same file), its Lambda tasks, and a role that may do exactly what the ASL does.
 */
export function Workflow({ stack, app }: StackContext) {
  const profile = stageProfile(app.stage);
  const network = use(Network);
  const data = use(Data);
  const messaging = use(Messaging);
  const access = functionAccess({ network, data, search: use(Search) });

  const tasks = Object.fromEntries(
    Object.entries<WorkflowTaskDeclaration>(reservationWorkflow.tasks).map(([name, task]) => {
      const props = access.props(task.uses);
      const fn = new SstFunction(stack, name, {
        ...props,
        handler: task.handler,
        environment: { ...powertoolsEnvironment(reservationWorkflow.service), ...props.environment },
      });
      access.grant(fn, task.uses, declaredFunctionName(reservationWorkflow.name, name));
      return [name, fn];
    }),
  ) as Record<TaskName, SstFunction>;

  subscribeFunctionLogs(Object.values(tasks), use(Observability).refiner);

  const trackingSessions = data.tables.trackingSessions.cdk.table;
  const name = app.logicalPrefixedName(reservationWorkflow.name);
  const logGroup = new logs.LogGroup(stack, `${reservationWorkflow.name}Logs`, {
    // The vended-logs prefix keeps CloudWatch Logs' resource policy from growing with every state machine.
    logGroupName: `/aws/vendedlogs/states/${name}`,
    retention: retentionDays(profile.logRetention),
  });

  const stateMachine = new sfn.StateMachine(stack, reservationWorkflow.name, {
    stateMachineName: name,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromString(
      readFileSync(path.join(useProject().paths.root, reservationWorkflow.definitionFile), "utf8"),
    ),
    // CloudFormation fills the placeholders in: the ASL file stays the one the local cloud runs.
    definitionSubstitutions: {
      ...Object.fromEntries(
        (Object.keys(tasks) as TaskName[]).map((task) => [reservationWorkflow.tasks[task].arnSubstitution, tasks[task].functionArn]),
      ),
      [reservationWorkflow.substitutions.driverNotificationsTopicArn]: messaging.topic.topicArn,
      [reservationWorkflow.substitutions.trackingSessionsTableName]: trackingSessions.tableName,
    },
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    tracingEnabled: true,
  });

  // Exactly what the ASL does: invoke its three functions, publish to the topic, and put, update
  // and delete tracking sessions. A definition from a string gets no permissions of its own.
  for (const fn of Object.values(tasks)) fn.grantInvoke(stateMachine);
  messaging.topic.cdk.topic.grantPublish(stateMachine);
  trackingSessions.grant(stateMachine, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem");

  // The reconciler restarts executions that never ran or were lost: StartExecution on the state
  // machine, DescribeExecution on its executions, and the primary (functionAccess grants no more).
  const workflowAccess = functionAccess({ network, data, search: use(Search), reservationWorkflow: stateMachine });
  const reconcilerProps = workflowAccess.props(workflowReconciler.uses);
  const reconciler = new Cron(stack, workflowReconciler.name, {
    schedule: workflowReconciler.schedule,
    job: {
      function: {
        ...reconcilerProps,
        handler: workflowReconciler.handler,
        timeout: workflowReconciler.timeoutSeconds,
        environment: { ...powertoolsEnvironment(workflowReconciler.service), ...reconcilerProps.environment },
      },
    },
  });
  workflowAccess.grant(reconciler.jobFunction, workflowReconciler.uses, declaredFunctionName(workflowReconciler.name, "schedule"));
  subscribeFunctionLogs([reconciler.jobFunction], use(Observability).refiner);

  stack.addOutputs({ ReservationStateMachineArn: stateMachine.stateMachineArn });

  suppressSstInternalFindings(stack);
  suppressFunctionRoleFindings([...Object.values(tasks), reconciler.jobFunction]);
  NagSuppressions.addResourceSuppressions(
    stateMachine,
    [
      {
        id: "AwsSolutions-IAM5",
        reason:
          "CDK's grants: `<function ARN>:*` lets the workflow invoke any version of its own three functions; `kms:GenerateDataKey*` on the topic's key only is what publishing to an encrypted topic needs; CloudWatch Logs' log-delivery actions and X-Ray's trace actions have no resource-level permissions.",
        appliesTo: [
          { regex: `/^Resource::<(${Object.keys(tasks).join("|")})[0-9A-F]+\\.Arn>:\\*$/` },
          "Action::kms:GenerateDataKey*",
          "Resource::*",
        ],
      },
    ],
    true,
  );

  return { stateMachine, tasks, logGroup, reconciler };
}
