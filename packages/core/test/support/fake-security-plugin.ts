/**
 * A stand-in for the OpenSearch security plugin's role and role-mapping REST API, as an Amazon
 * OpenSearch Service domain with fine-grained access control answers it. The local node runs
 * without the plugin, so the requests access-control.ts sends are checked here instead: every
 * request is recorded, and the answers (201 CREATED, 200 OK, 404, 403 on reserved resources)
 * follow the plugin's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The parsed JSON body; undefined when there was none. */
  readonly body?: unknown;
}

export type StoredRole = Record<string, unknown> & { reserved?: boolean; hidden?: boolean; static?: boolean; description?: string };
export type StoredMapping = Record<string, unknown> & { reserved?: boolean; backend_roles?: string[] };

export interface FakeSecurityPlugin {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly roles: Map<string, StoredRole>;
  readonly mappings: Map<string, StoredMapping>;
  /** Answers the next requests to `path` with this status and body instead. */
  failOn(path: string, status: number, body: unknown): void;
  close(): Promise<void>;
}

const api = "/_plugins/_security/api";

/** A domain as created with an IAM master role: all_access and security_manager map it. */
export function domainCreatedWithMaster(masterRoleArn: string): { roles: Record<string, StoredRole>; mappings: Record<string, StoredMapping> } {
  return {
    roles: {
      all_access: { reserved: true, hidden: false, static: true, description: "Allow full access to all indices and all cluster APIs", cluster_permissions: ["*"] },
      security_manager: { reserved: true, hidden: false, static: true, description: "Provide role permissions for the security plugin", cluster_permissions: ["cluster:admin/opendistro_security/*"] },
      readall: { reserved: true, hidden: false, static: true, description: "Provide the minimum permissions to read all the data", cluster_permissions: ["cluster_composite_ops_ro"] },
    },
    mappings: {
      all_access: { reserved: false, hidden: false, backend_roles: [masterRoleArn], hosts: [], users: [], and_backend_roles: [] },
      security_manager: { reserved: false, hidden: false, backend_roles: [masterRoleArn], hosts: [], users: [], and_backend_roles: [] },
    },
  };
}

export async function startFakeSecurityPlugin(initial: {
  roles: Record<string, StoredRole>;
  mappings: Record<string, StoredMapping>;
}): Promise<FakeSecurityPlugin> {
  const requests: RecordedRequest[] = [];
  const roles = new Map(Object.entries(structuredClone(initial.roles)));
  const mappings = new Map(Object.entries(structuredClone(initial.mappings)));
  const failures = new Map<string, { status: number; body: unknown }>();

  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      const body = text === "" ? undefined : (JSON.parse(text) as unknown);
      requests.push({ method: request.method ?? "", path, ...(body === undefined ? {} : { body }) });
      const failure = failures.get(path);
      if (failure) return reply(response, failure.status, failure.body);
      answer(request, response, path, body);
    });
  });

  function answer(request: IncomingMessage, response: ServerResponse, path: string, body: unknown): void {
    const match = /^\/_plugins\/_security\/api\/(roles|rolesmapping)(?:\/([^/]+))?\/?$/.exec(path);
    if (!match) return reply(response, 400, { status: "BAD_REQUEST", message: `no handler for ${request.method} ${path}` });
    const [, kind, name] = match;
    const store: Map<string, Record<string, unknown>> = kind === "roles" ? roles : mappings;
    if (request.method === "GET" && !name) return reply(response, 200, Object.fromEntries(store));
    if (!name) return reply(response, 405, { status: "METHOD_NOT_ALLOWED", message: `${request.method} needs a name` });
    const existing = store.get(name);
    if (request.method === "GET") return existing ? reply(response, 200, { [name]: existing }) : reply(response, 404, { status: "NOT_FOUND", message: `Resource '${name}' not found.` });
    if (existing?.reserved) return reply(response, 403, { status: "FORBIDDEN", message: `Resource '${name}' is reserved.` });
    if (request.method === "PUT") {
      if (kind === "rolesmapping" && !roles.has(name)) return reply(response, 404, { status: "NOT_FOUND", message: `Role '${name}' is not available for role-mapping.` });
      store.set(name, { reserved: false, hidden: false, ...(body as object) });
      return existing
        ? reply(response, 200, { status: "OK", message: `'${name}' updated.` })
        : reply(response, 201, { status: "CREATED", message: `'${name}' created.` });
    }
    if (request.method === "DELETE") {
      if (!existing) return reply(response, 404, { status: "NOT_FOUND", message: `'${name}' not found.` });
      store.delete(name);
      return reply(response, 200, { status: "OK", message: `'${name}' deleted.` });
    }
    return reply(response, 405, { status: "METHOD_NOT_ALLOWED", message: `${request.method} is not supported` });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    roles: roles as Map<string, StoredRole>,
    mappings: mappings as Map<string, StoredMapping>,
    failOn: (path, status, body) => failures.set(path.startsWith("/") ? path : `${api}/${path}`, { status, body }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader("content-type", "application/json; charset=UTF-8");
  response.end(JSON.stringify(body));
}
