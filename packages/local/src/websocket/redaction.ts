/**
 * A request target fit for a log line: the values of secret query parameters (the `$connect`
 * token) replaced. Anything the local WebSocket gateway logs about a request goes through this.
 */
export function redactedTarget(target: string, secretParameters: readonly string[]): string {
  const questionMark = target.indexOf("?");
  if (questionMark === -1) return target;
  const secrets = new Set(secretParameters);
  const query = target
    .slice(questionMark + 1)
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const key = equals === -1 ? pair : pair.slice(0, equals);
      return secrets.has(safeDecode(key)) ? `${key}=[redacted]` : pair;
    })
    .join("&");
  return `${target.slice(0, questionMark)}?${query}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}
