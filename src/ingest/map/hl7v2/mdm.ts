/**
 * MDM (T02 new document with content, T04 status change, T06/T08 addendum/edit, T10 replacement)
 * → DocumentReference; T11 (cancel) → delete. TXA-12 (unique document number) is the sourceId;
 * the content is an ED/RP OBX as sent, or the text OBX lines as a plain-text attachment.
 */
import type { Attachment, DocumentReference } from 'fhir/r4';
import type { SourceAction } from '../../sourceAction.ts';
import { edAttachment, looksEncapsulated, rpAttachment, textAttachment } from './attachment.ts';
import { codeableConcept, indexOf, optionalDateTime, organisationReference, patientReference, reject, reps, required, SYSTEMS, val, type Mapping } from './context.ts';

const DOC_STATUS: Record<string, DocumentReference['docStatus']> = {
  AU: 'final',
  LA: 'final',
  DO: 'final',
  PA: 'preliminary',
  IP: 'preliminary',
  IN: 'preliminary',
  DI: 'preliminary',
};

export function mapMdm(m: Mapping, trigger: string, localId: string, version: string): SourceAction[] {
  const txa = required(m, 'TXA');
  const where = { segment: 'TXA', segmentIndex: indexOf(m, txa) };
  const docId = val(m, txa, 12);
  if (!docId) reject('required-field-missing', 'TXA-12 (unique document number) is empty', { ...where, field: 'TXA-12' });
  if (trigger === 'T11') return [{ kind: 'delete', resourceType: 'DocumentReference', sourceId: docId, sourceVersion: version, subjectLocalId: localId }];

  const type = codeableConcept(m, reps(m, txa, 2)[0]);
  const title = val(m, txa, 2, 2) ?? val(m, txa, 2);
  const content: Attachment[] = [];
  const text: string[] = [];
  for (const obx of m.msg.segments.filter((s) => s.name === 'OBX')) {
    const vtype = val(m, obx, 2)?.toUpperCase() ?? '';
    const values = reps(m, obx, 5);
    const first = values[0];
    if (!first) continue;
    if (vtype === 'ED' || looksEncapsulated(first)) {
      const a = edAttachment(first, title);
      if (a.problem) m.warnings.push({ field: 'OBX-5', code: 'other', message: `OBX-5 at segment ${indexOf(m, obx)}: ${a.problem}; the document was kept without its content` });
      content.push(a.attachment);
    } else if (vtype === 'RP') {
      const a = rpAttachment(first, title);
      if (a) content.push(a);
    } else {
      text.push(...values.map((v) => (v.c(1) ?? '').replace(/\\\.br\\/g, '\n')));
    }
  }
  if (text.length) content.push(textAttachment(text.join('\n'), title));
  if (content.length === 0) reject('required-field-missing', 'the document has no content (no OBX-5 with text or encapsulated data)', { segment: 'OBX', field: 'OBX-5' });

  const availability = val(m, txa, 19)?.toUpperCase();
  const completion = val(m, txa, 17)?.toUpperCase();
  const origin = optionalDateTime(m, txa, 6, 'TXA-6') ?? optionalDateTime(m, txa, 4, 'TXA-4');
  const parent = val(m, txa, 13);
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    masterIdentifier: { system: SYSTEMS.document(m.ctx.feedId), value: docId },
    identifier: [{ system: SYSTEMS.document(m.ctx.feedId), value: docId }],
    status: availability === 'OB' ? 'superseded' : availability === 'CA' ? 'entered-in-error' : 'current',
    ...(completion && DOC_STATUS[completion] ? { docStatus: DOC_STATUS[completion] } : {}),
    ...(type ? { type } : {}),
    subject: patientReference(m, localId),
    ...(origin?.hasTime ? { date: origin.utc } : {}),
    custodian: organisationReference(m.ctx.odsCode),
    ...(parent && (trigger === 'T10' || trigger === 'T06')
      ? { relatesTo: [{ code: trigger === 'T10' ? ('replaces' as const) : ('appends' as const), target: { type: 'DocumentReference', identifier: { system: SYSTEMS.document(m.ctx.feedId), value: parent } } }] }
      : {}),
    ...(title ? { description: title } : {}),
    content: content.map((attachment) => ({ attachment })),
    ...(origin ? { context: { period: { start: origin.dateTime } } } : {}),
  };
  return [{ kind: 'upsert', resourceType: 'DocumentReference', resource: doc, sourceId: docId, sourceVersion: version, subjectLocalId: localId }];
}
