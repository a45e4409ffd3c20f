/** Test helpers for the HL7 v2 mapper: read shared files, parse, map, and pick actions out. */
import { readFileSync } from 'node:fs';
import { parse, type Hl7Message } from '../../../formats/hl7v2/index.ts';
import type { MapResult, SourceAction } from '../../sourceAction.ts';
import { mapHl7v2 } from './index.ts';

const ROOT = new URL('../../../../../shared/data/hl7v2/', import.meta.url);

export const CTX = { feedId: 'rcb-pas', odsCode: 'RCB' };

export function message(text: string): Hl7Message {
  const r = parse(text);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.message;
}

export function shared(path: string): Hl7Message {
  return message(readFileSync(new URL(path, ROOT), 'utf8'));
}

export function mapped(msg: Hl7Message): SourceAction[] {
  const r: MapResult = mapHl7v2(msg, CTX);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.actions;
}

export type Upsert = Extract<SourceAction, { kind: 'upsert' }>;

export function upserts(actions: SourceAction[], type: string): Upsert[] {
  return actions.filter((a): a is Upsert => a.kind === 'upsert' && a.resourceType === type);
}
