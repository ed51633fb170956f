/**
 * A stand-in for the Secrets Manager API (GetSecretValue only), so the cloud code paths run here
 * without AWS: the SDK finds it through its own AWS_ENDPOINT_URL_SECRETS_MANAGER variable.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSecretsManager {
  /** `X-Amz-Target SecretId` of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startFakeSecretsManager(secrets: Readonly<Record<string, string>>): Promise<FakeSecretsManager> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      requests.push(`${String(request.headers["x-amz-target"])} ${SecretId}`);
      const secret = secrets[SecretId];
      response.setHeader("content-type", "application/x-amz-json-1.1");
      if (secret === undefined) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      response.end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: secret, VersionId: "v1" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const savedEnv = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
  return {
    requests,
    async close() {
      process.env = savedEnv;
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
