import type { JsonObject } from "../definition.js";

/** The HTTP metadata the Java SDK adds to every integration result. */
export function integrationMetadata(requestId: string, contentType: string): JsonObject {
  const date = new Date().toUTCString();
  return {
    SdkHttpMetadata: {
      AllHttpHeaders: { "Content-Type": [contentType], Date: [date], "x-amzn-RequestId": [requestId] },
      HttpHeaders: { "Content-Type": contentType, Date: date, "x-amzn-RequestId": requestId },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
}
