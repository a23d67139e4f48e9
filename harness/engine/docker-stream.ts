/**
 * Splits Docker's multiplexed log stream (non-TTY containers): each frame is an
 * 8-byte header (stream type, three zero bytes, big-endian length) then data.
 */
export function demuxDockerStream(buffer: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const length = buffer.readUInt32BE(offset + 4);
    const data = buffer.subarray(offset + 8, offset + 8 + length).toString('utf8');
    if (stream === 2) stderr += data;
    else stdout += data;
    offset += 8 + length;
  }
  return { stdout, stderr };
}
