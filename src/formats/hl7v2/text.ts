/**
 * Bytes to text for HL7 v2 input. MSH-18 often disagrees with the bytes actually sent (a file
 * labelled 8859/1 holding UTF-8), so the bytes decide: valid UTF-8 is read as UTF-8, anything
 * else as Latin-1, which maps every byte and so never loses one.
 */
export function decodeHl7Bytes(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
