/**
 * ED (encapsulated data) and RP (reference pointer) values → FHIR Attachment. ED components:
 * source application, type of data, data subtype, encoding (Base64, Hex, A), data.
 */
import type { Attachment } from 'fhir/r4';
import type { Hl7Value } from '../../../formats/hl7v2/index.ts';

const SUBTYPES: Record<string, string> = {
  PDF: 'application/pdf',
  RTF: 'application/rtf',
  HTML: 'text/html',
  XML: 'application/xml',
  JPEG: 'image/jpeg',
  JPG: 'image/jpeg',
  PNG: 'image/png',
  TIFF: 'image/tiff',
  GIF: 'image/gif',
  PLAIN: 'text/plain',
  TEXT: 'text/plain',
  OCTET: 'application/octet-stream',
  MSWORD: 'application/msword',
};

export function contentType(type: string | undefined, subtype: string | undefined): string {
  const sub = subtype?.trim();
  if (sub && /^[a-z]+\/[a-z0-9.+-]+$/i.test(sub)) return sub.toLowerCase();
  const known = sub ? SUBTYPES[sub.toUpperCase()] : undefined;
  if (known) return known;
  const t = type?.trim().toUpperCase();
  if (t === 'TEXT' || t === 'TX') return 'text/plain';
  if (t === 'IM') return 'image/*';
  return 'application/octet-stream';
}

/** True when a value looks like ED (encoding component says Base64/Hex), whatever OBX-2 claims. */
export function looksEncapsulated(v: Hl7Value | undefined): boolean {
  const enc = v?.c(4)?.trim().toUpperCase();
  return enc === 'BASE64' || enc === 'HEX';
}

/** The attachment, and a problem when the data could not be read (then the attachment has no data). */
export function edAttachment(v: Hl7Value, title: string | undefined): { attachment: Attachment; problem?: string } {
  const encoding = v.c(4)?.trim().toUpperCase() ?? 'A';
  const data = v.c(5) ?? '';
  let base64: string;
  if (encoding === 'BASE64') {
    const clean = data.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return { attachment: meta(v, title), problem: 'encapsulated data is not valid Base64' };
    base64 = clean;
  } else if (encoding === 'HEX') {
    if (!/^([0-9A-Fa-f]{2})*$/.test(data)) return { attachment: meta(v, title), problem: 'encapsulated data is not valid hexadecimal' };
    base64 = Buffer.from(data, 'hex').toString('base64');
  } else {
    base64 = Buffer.from(data, 'utf8').toString('base64');
  }
  return { attachment: { ...meta(v, title), data: base64 } };
}

function meta(v: Hl7Value, title: string | undefined): Attachment {
  return { contentType: contentType(v.c(2), v.c(3)), ...(title ? { title } : {}) };
}

export function rpAttachment(v: Hl7Value, title: string | undefined): Attachment | undefined {
  const pointer = v.c(1)?.trim();
  if (!pointer) return undefined;
  return { url: pointer, contentType: contentType(v.c(3), v.c(4)), ...(title ? { title } : {}) };
}

export function textAttachment(text: string, title: string | undefined): Attachment {
  return { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64'), ...(title ? { title } : {}) };
}
