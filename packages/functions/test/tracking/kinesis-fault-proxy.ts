/**
 * An HTTP proxy in front of a real kinesalite that injects Kinesis's failures where a test asks:
 *
 * - entry failures: the chosen records of a PutRecords request are taken out of the request
 *   before it goes on (so, as in Kinesis, a failed record is not written) and put back into the
 *   response at their positions as failed entries (ErrorCode, ErrorMessage, FailedRecordCount);
 * - whole-request failures: a 500 InternalFailure, or a connection reset, without forwarding.
 *
 * Records are recognised by their data (tests give each one a distinct payload). Every PutRecords
 * request is logged with the data of its entries, in order. Other operations pass through as is.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface EntryFault {
  readonly errorCode: string;
  readonly errorMessage?: string;
}

export interface Faults {
  /** The failure for a record (by its data), given how many times it was sent before this one. */
  entry?(data: string, previousSends: number): EntryFault | undefined;
  /** How to answer the n-th PutRecords request (1-based) as a whole; undefined forwards it. */
  request?(requestNumber: number): "internal-failure" | "reset" | undefined;
}

export interface KinesisFaultProxy {
  readonly endpoint: string;
  /** Data of the entries of each PutRecords request received, faulted ones included. */
  readonly putRecordsRequests: string[][];
  setFaults(faults: Faults): void;
  reset(): void;
  stop(): Promise<void>;
}

export async function startKinesisFaultProxy(target: string): Promise<KinesisFaultProxy> {
  const upstream = new URL(target);
  let faults: Faults = {};
  const putRecordsRequests: string[][] = [];
  const sends = new Map<string, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    if (!target.endsWith(".PutRecords")) return forward(req, body, res);

    const payload = JSON.parse(body.toString("utf8")) as { StreamName?: string; Records: { Data: string; PartitionKey: string }[] };
    const data = payload.Records.map((record) => Buffer.from(record.Data, "base64").toString("utf8"));
    putRecordsRequests.push(data);

    const whole = faults.request?.(putRecordsRequests.length);
    if (whole === "reset") {
      req.socket.destroy();
      return;
    }
    if (whole === "internal-failure") {
      return reply(res, 500, { __type: "InternalFailure", message: "Injected by the fault proxy" });
    }

    const injected = data.map((value) => {
      const previous = sends.get(value) ?? 0;
      sends.set(value, previous + 1);
      return faults.entry?.(value, previous);
    });
    const kept = payload.Records.filter((_, i) => !injected[i]);
    let upstreamResult: { FailedRecordCount: number; Records: object[] } = { FailedRecordCount: 0, Records: [] };
    if (kept.length > 0) {
      const answer = await send(req, Buffer.from(JSON.stringify({ ...payload, Records: kept })));
      if (answer.status !== 200) return reply(res, answer.status, JSON.parse(answer.body.toString("utf8")));
      upstreamResult = JSON.parse(answer.body.toString("utf8"));
    }
    const forwarded = upstreamResult.Records[Symbol.iterator]();
    const records = injected.map((fault) =>
      fault ? { ErrorCode: fault.errorCode, ErrorMessage: fault.errorMessage ?? `${fault.errorCode} injected by the fault proxy` } : forwarded.next().value,
    );
    const failedRecordCount = upstreamResult.FailedRecordCount + injected.filter(Boolean).length;
    reply(res, 200, { FailedRecordCount: failedRecordCount, Records: records });
  }

  function send(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host, "content-length": String(body.length) };
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        readBody(answer).then((answerBody) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: answerBody }), reject);
      });
      out.on("error", reject);
      out.end(body);
    });
  }

  async function forward(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const answer = await send(req, body);
    res.writeHead(answer.status, { "content-type": answer.headers["content-type"] ?? "application/x-amz-json-1.1", "content-length": answer.body.length });
    res.end(answer.body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => reply(res, 502, { __type: "ProxyError", message: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    putRecordsRequests,
    setFaults: (next) => {
      faults = next;
    },
    reset: () => {
      faults = {};
      putRecordsRequests.length = 0;
      sends.clear();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}
