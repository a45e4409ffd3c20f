/**
 * HL7 v2 escape sequences. `unescape` decodes the separator escapes (\F\ \S\ \T\ \R\ \E\), the
 * truncation escape (\P\, only when a truncation character is declared) and hex data (\Xhh…\);
 * formatting and other escapes (\H\ \N\ \.br\ \Zxx\ \Cxxxx\ \Mxxxx\) are kept verbatim, as is an
 * unterminated escape. `escape` is its inverse for any text: unescape(escape(t)) === t.
 */
import type { Hl7Encoding } from './model.ts';

export function escape(text: string, enc: Hl7Encoding): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    let rep: string | undefined;
    if (c === enc.escape) rep = 'E';
    else if (c === enc.field) rep = 'F';
    else if (c === enc.component) rep = 'S';
    else if (c === enc.subcomponent) rep = 'T';
    else if (c === enc.repetition) rep = 'R';
    else if (enc.truncation !== undefined && c === enc.truncation) rep = 'P';
    else if (c === '\r') rep = 'X0D';
    else if (c === '\n') rep = 'X0A';
    if (rep !== undefined) {
      out += text.slice(start, i) + enc.escape + rep + enc.escape;
      start = i + 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}

export function unescape(raw: string, enc: Hl7Encoding): string {
  let i = raw.indexOf(enc.escape);
  if (i < 0) return raw;
  let out = raw.slice(0, i);
  while (i >= 0) {
    const close = raw.indexOf(enc.escape, i + 1);
    if (close < 0) {
      out += raw.slice(i);
      return out;
    }
    const body = raw.slice(i + 1, close);
    out += decodeBody(body, enc) ?? enc.escape + body + enc.escape;
    const next = raw.indexOf(enc.escape, close + 1);
    out += raw.slice(close + 1, next < 0 ? raw.length : next);
    i = next;
  }
  return out;
}

function decodeBody(body: string, enc: Hl7Encoding): string | undefined {
  switch (body) {
    case 'F':
      return enc.field;
    case 'S':
      return enc.component;
    case 'T':
      return enc.subcomponent;
    case 'R':
      return enc.repetition;
    case 'E':
      return enc.escape;
    case 'P':
      return enc.truncation;
  }
  if (body.length >= 3 && (body[0] === 'X' || body[0] === 'x') && body.length % 2 === 1 && /^[0-9A-Fa-f]+$/.test(body.slice(1))) {
    return decodeHex(body.slice(1));
  }
  return undefined;
}

function decodeHex(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  // Senders put UTF-8 sequences and single Latin-1 bytes in \X..\ alike; take UTF-8 when it is valid.
  const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return utf8.includes('\uFFFD') ? bytes.toString('latin1') : utf8;
}
