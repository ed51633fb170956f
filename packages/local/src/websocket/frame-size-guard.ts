/**
 * API Gateway's 32 KB WebSocket frame limit. A message may be up to 128 KB, but only in frames of
 * at most 32 KB each; a bigger frame closes the connection with 1009, even within 128 KB. `ws`
 * limits whole messages only, so this reads the frame headers on the raw socket beside it.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 */

/**
 * Returns a `data` listener for the upgraded socket that calls `onOversizedFrame` once, at the
 * header of the first frame whose payload exceeds `maxFrameBytes`, before that frame has arrived.
 */
export function createFrameSizeGuard(maxFrameBytes: number, onOversizedFrame: () => void): (chunk: Buffer) => void {
  let pendingHeader = Buffer.alloc(0);
  let payloadLeft = 0;
  let tripped = false;

  return (chunk) => {
    let offset = 0;
    while (!tripped && offset < chunk.length) {
      if (payloadLeft > 0) {
        const skipped = Math.min(payloadLeft, chunk.length - offset);
        payloadLeft -= skipped;
        offset += skipped;
        continue;
      }
      // A frame header is 2 to 14 bytes and may be split across chunks.
      const taken = chunk.subarray(offset, offset + 14 - pendingHeader.length);
      const candidate = pendingHeader.length > 0 ? Buffer.concat([pendingHeader, taken]) : taken;
      const header = readFrameHeader(candidate);
      if (!header) {
        pendingHeader = Buffer.from(candidate);
        offset += taken.length;
        continue;
      }
      offset += header.headerLength - pendingHeader.length;
      pendingHeader = Buffer.alloc(0);
      if (header.payloadLength > maxFrameBytes) {
        tripped = true;
        onOversizedFrame();
        return;
      }
      payloadLeft = header.payloadLength;
    }
  };
}

/** RFC 6455 §5.2: 7-bit length, or 126 + 16 bits, or 127 + 64 bits; then a 4-byte mask if masked. */
function readFrameHeader(bytes: Buffer): { headerLength: number; payloadLength: number } | undefined {
  if (bytes.length < 2) return undefined;
  const masked = (bytes[1]! & 0x80) !== 0;
  const shortLength = bytes[1]! & 0x7f;
  const extendedBytes = shortLength === 126 ? 2 : shortLength === 127 ? 8 : 0;
  const headerLength = 2 + extendedBytes + (masked ? 4 : 0);
  if (bytes.length < headerLength) return undefined;
  const payloadLength =
    shortLength === 126 ? bytes.readUInt16BE(2) : shortLength === 127 ? Number(bytes.readBigUInt64BE(2)) : shortLength;
  return { headerLength, payloadLength };
}
