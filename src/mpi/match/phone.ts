/** UK telephone numbers to one national form (leading 0, digits only) so that +44 and 0 agree. */

/** National digits ("07700900123"), or null when the text is not a plausible UK number. */
export function normalisePhone(raw: string | undefined): string | null {
  if (!raw) return null;
  let s = raw.trim().replace(/\(0\)/g, '');
  s = s.replace(/[\s\-().]/g, '');
  if (s.startsWith('+44')) s = '0' + s.slice(3);
  else if (s.startsWith('0044')) s = '0' + s.slice(4);
  else if (s.startsWith('44') && s.length === 12) s = '0' + s.slice(2);
  if (!/^0\d{9,10}$/.test(s)) return null;
  return s;
}
