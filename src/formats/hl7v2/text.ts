/**
 * Bytes to text for HL7 v2 input. MSH-18 often disagrees with the bytes actually sent (a file
 * labelled 8859/1 holding UTF-8), so the bytes decide: valid UTF-8 is read as UTF-8, anything
 * else as Latin-1, which maps every byte and so never loses one.
 */
import { isUtf8 } from 'node:buffer';

export function decodeHl7Bytes(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One validating pass, then a plain decode: what a strict TextDecoder does, without making one
  // (and throwing from it) for every message received.
  if (!isUtf8(buf)) return buf.toString('latin1');
  // A byte order mark is not text (as a TextDecoder reads it).
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', bom);
}
