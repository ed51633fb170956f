/**
 * What the reservation handler tests share: API Gateway v2 events with JWT claims, a Lambda
 * context, a stand-in Step Functions endpoint that records StartExecution calls and, like AWS,
 * starts each execution name once, and the suite hooks that set them up. The real local Step Functions endpoint is tested in packages/local.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterAll, beforeAll, vi } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { createLambdaContext } from "@haul/local/gateway/lambda-context";
import { migrateTestDatabase } from "../../../core/test/support/database.js";
import { removeTestPeople } from "../../../core/test/support/reservations.js";
import { resetAwsClients } from "../../src/shared/aws-clients.js";

export const stateMachineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:test-haul-ReservationWorkflow";

export function lambdaContext(): Context {
  return createLambdaContext({ functionName: "test-reservation", region: "us-east-1", accountId: "000000000000", memorySizeMb: 1024, timeoutMs: 10_000 });
}

export interface HttpCall {
  readonly routeKey: string;
  readonly path: string;
  readonly caller: { readonly userId: string; readonly role: string };
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
}

export function httpEvent(call: HttpCall): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: "2.0",
    routeKey: call.routeKey,
    rawPath: call.path,
    rawQueryString: "",
    headers: { "content-type": "application/json", ...call.headers },
    body: call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body)),
    isBase64Encoded: false,
    pathParameters: call.pathParameters,
    requestContext: {
      requestId: `gw-${Math.random().toString(36).slice(2)}`,
      authorizer: {
        principalId: "",
        integrationLatency: 0,
        jwt: { claims: { sub: call.caller.userId, "cognito:groups": `[${call.caller.role}]` }, scopes: [] },
      },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly json: any;
}

export async function invoke(
  handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>,
  call: HttpCall,
): Promise<Reply> {
  const result = await handler(httpEvent(call), lambdaContext());
  return {
    status: result.statusCode ?? 0,
    headers: (result.headers ?? {}) as Record<string, string>,
    json: result.body ? JSON.parse(result.body) : undefined,
  };
}

export interface StartExecutionCall {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** How the stand-in answers one StartExecution: success, or an AWS error by its type. */
export type Answer = { readonly error?: string; readonly status?: number };

/**
 * A Step Functions JSON endpoint that records StartExecution and answers as told. Otherwise it
 * answers as AWS does: a name starts one execution; starting it again succeeds with the same
 * input (its executions never end) and is ExecutionAlreadyExists with another.
 */
export class StepFunctionsStub {
  readonly calls: StartExecutionCall[] = [];
  /** Answers for the next calls, in order; when empty, as AWS would. */
  readonly answers: Answer[] = [];
  /** The input of each execution started, by its name. */
  readonly executions = new Map<string, string>();
  private server?: Server;
  endpoint = "";

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let text = "";
      request.on("data", (chunk) => (text += chunk));
      request.on("end", () => {
        const target = String(request.headers["x-amz-target"]);
        if (target !== "AWSStepFunctions.StartExecution") {
          response.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
          response.end(JSON.stringify({ __type: "UnknownOperationException", message: target }));
          return;
        }
        const body = JSON.parse(text) as { stateMachineArn: string; name: string; input: string };
        this.calls.push({ stateMachineArn: body.stateMachineArn, name: body.name, input: JSON.parse(body.input) });
        const startedWith = this.executions.get(body.name);
        const answer =
          this.answers.shift() ?? (startedWith !== undefined && startedWith !== body.input ? { error: "ExecutionAlreadyExists" } : {});
        if (answer.error) {
          response.writeHead(answer.status ?? 400, { "content-type": "application/x-amz-json-1.0" });
          response.end(JSON.stringify({ __type: answer.error, message: `${answer.error} (stub)` }));
          return;
        }
        if (startedWith === undefined) this.executions.set(body.name, body.input);
        response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        response.end(
          JSON.stringify({
            executionArn: `${body.stateMachineArn.replace(":stateMachine:", ":execution:")}:${body.name}`,
            startDate: Date.now() / 1000,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  callsNamed(name: string): StartExecutionCall[] {
    return this.calls.filter((call) => call.name === name);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/**
 * Registers the suite's hooks for reservation handler tests: the test database migrated, a
 * StepFunctionsStub the handlers' SDK client is pointed at, and everything closed afterwards
 * (the test people included). Returns the stub, started before the first test.
 */
export function useReservationHandlerEnvironment(): StepFunctionsStub {
  const stepFunctions = new StepFunctionsStub();
  beforeAll(async () => {
    await migrateTestDatabase();
    await stepFunctions.start();
    vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
    vi.stubEnv("AWS_ENDPOINT_URL_SFN", stepFunctions.endpoint);
    vi.stubEnv("HAUL_RESERVATION_STATE_MACHINE_ARN", stateMachineArn);
    resetAwsClients();
  });
  afterAll(async () => {
    resetAwsClients();
    vi.unstubAllEnvs();
    await stepFunctions.stop();
    await removeTestPeople();
    await closePools();
    await closeRedisClient();
  });
  return stepFunctions;
}
