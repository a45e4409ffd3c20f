import { describe, it, expect } from 'vitest';
import { fhirSchemaProblems } from '../../../fhir/schema.ts';
import { mapInvolvementRow } from './involvements.ts';
import type { CsvMapContext } from './report.ts';

const ctx: CsvMapContext = { feedId: 'chc', odsCode: 'X9Z', asOf: '2024-06-01', now: new Date('2024-06-01T00:00:00Z') };
const good = {
  local_id: 'P1',
  involvement_id: 'INV-1',
  service: 'continuing-healthcare',
  team: 'North CHC',
  worker_role: 'nurse assessor',
  start_date: '2024-01-02',
  end_date: '',
  status: 'open',
};
const row = (over: Partial<typeof good> = {}) => ({ line: 4, values: { ...good, ...over } });

describe('mapInvolvementRow', () => {
  it('maps an open involvement to an active EpisodeOfCare managed by the feed organisation', () => {
    const out = mapInvolvementRow(row(), ctx);
    expect(out.report.status).toBe('accepted');
    if (!out.result.ok) throw new Error('expected ok');
    const action = out.result.actions[0];
    expect(action).toMatchObject({ kind: 'upsert', resourceType: 'EpisodeOfCare', sourceId: 'INV-1', subjectLocalId: 'P1', sourceVersion: '2024-06-01' });
    if (action?.kind !== 'upsert') throw new Error('expected upsert');
    expect(action.resource).toMatchObject({
      status: 'active',
      type: [{ text: 'continuing-healthcare' }],
      patient: { identifier: { system: 'https://fhir.ohc.example/Id/chc/local', value: 'P1' } },
      managingOrganization: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'X9Z' } },
      period: { start: '2024-01-02' },
      careManager: { display: 'nurse assessor' },
      team: [{ display: 'North CHC' }],
    });
    expect(fhirSchemaProblems(action.resource)).toEqual([]);
  });

  it.each([
    ['open', '', 'active'],
    ['closed', '2024-03-01', 'finished'],
  ])('status %s becomes %s', (status, end_date, fhirStatus) => {
    const out = mapInvolvementRow(row({ status, end_date }), ctx);
    expect(out.result.ok && out.result.actions[0]?.kind === 'upsert' && out.result.actions[0].resource).toMatchObject({ status: fhirStatus });
  });

  it('omits optional team, role and dates when empty', () => {
    const out = mapInvolvementRow(row({ team: '', worker_role: '', start_date: '' }), ctx);
    if (!out.result.ok || out.result.actions[0]?.kind !== 'upsert') throw new Error('expected upsert');
    const resource = out.result.actions[0].resource as unknown as Record<string, unknown>;
    expect(resource.team).toBeUndefined();
    expect(resource.careManager).toBeUndefined();
    expect(resource.period).toBeUndefined();
  });

  it.each([
    [{ local_id: '' }, 'required-field-missing', 'local_id'],
    [{ involvement_id: '' }, 'required-field-missing', 'involvement_id'],
    [{ service: '' }, 'required-field-missing', 'service'],
    [{ status: '' }, 'required-field-missing', 'status'],
    [{ status: 'pending' }, 'invalid-value', 'status'],
    [{ start_date: '2024-02-30' }, 'invalid-date', 'start_date'],
    [{ end_date: '01/03/2024' }, 'invalid-date', 'end_date'],
    [{ end_date: '2023-12-31' }, 'invalid-period', 'end_date'],
  ])('rejects %j with %s on column %s', (over, code, column) => {
    const out = mapInvolvementRow(row(over), ctx);
    expect(out.result).toMatchObject({ ok: false, error: { code, where: { line: 4, column } } });
    expect(out.report).toMatchObject({ status: 'rejected', errors: [{ code, column }] });
  });
});
