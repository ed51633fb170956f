import { buildOpenApiDocument } from "../openapi/document.js";
import { httpHandler } from "../shared/http-handler.js";

// Built once per container: the document only changes with a deploy.
const document = buildOpenApiDocument();

export const handler = httpHandler({}, async () => ({ status: 200, body: document }));
