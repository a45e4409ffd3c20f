/**
 * Every HL7 file of ../shared/data/hl7v2 through the MLLP listener: AA for what the record supports,
 * AE/AR with a precise ERR otherwise, every rejection kept as a dead letter, and the server up
 * throughout (one connection carries all the files in turn).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { testEngines } from '../../src/store/testing.ts';
import { ensureOrganisations } from '../../src/registry/organisations.ts';
import { addFeed } from '../../src/ingest/feeds.ts';
import { MllpClient } from '../../src/mllp/client.ts';

const ROOT = new URL('../../../shared/data/hl7v2/', import.meta.url);

// file → the MSA-1 codes expected (one per message) and a fragment of the first ERR's reason.
const CASES: Array<[string, string[], string]> = [
  ['nhs-itk-v24-examples/A01_example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A03_example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A04_example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A05_Example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A08_example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A28_Example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A31_example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/A40_Example.hl7', ['AA'], ''],
  ['nhs-itk-v24-examples/DHCW-Example-Pathology-Report-HL7v2ORU.hl7', ['AR'], 'MSH-2'],
  ['nhs-itk-v24-examples/DHCW-Example-PathologyReport-withAttachementsAndRanges-HL7v2ORU.hl7', ['AR'], 'MSH-2'],
  ['nhs-nw-gmsa/MFT_ORU_R01_PDF.hl7', ['AA'], ''],
  ['nhs-nw-gmsa/NWGMSA_ORU_R01_PDF.hl7', ['AA'], ''],
  ['nhs-nw-gmsa/hl7v2md_example3_ORU_R01_ORU_R01.hl7', ['AA'], ''],
  ['nhs-nw-gmsa/hl7v2md_example4_MDM_T02.hl7', ['AA'], ''],
  ['nhs-nw-gmsa/AlderHey_ORM_O01_DNA_Storage.hl7', ['AR'], 'not accepted'],
  ['nhs-nw-gmsa/MFT_OML_O21_PDF.hl7', ['AR'], 'not accepted'],
  ['nhs-nw-gmsa/hl7v2md_example2_OML_O21_OML_O21.hl7', ['AR'], 'not accepted'],
  ['node-hl7-client/parser_test_L8.hl7', ['AR'], 'not accepted'],
  ['node-hl7-client/parser_test_L22.hl7', ['AR'], 'not a registered HL7 feed'],
  ['node-hl7-client/parser_test_L30.hl7', ['AR'], 'MSH-4 (sending facility) is empty'],
  ['hl7apy/parser_L110_adt_a01_assembled.hl7', ['AR'], 'not a registered HL7 feed'],
  ['hl7apy/parser_L184_m.hl7', ['AR'], 'MSH-2'],
  ['hl7apy/parser_L211_m.hl7', ['AR'], 'MSH-9'],
  ['hl7apy/parser_L215_m.hl7', ['AR'], 'MSH-2'],
  ['hl7apy/to_string_L49_msh_custom.hl7', ['AR'], 'sending facility (MSH-4)'],
  ['hl7apy/to_string_L50_msh_highlighted.hl7', ['AR'], 'not a registered HL7 feed'],
  ['python-hl7/sample_bad_batch.hl7', ['AR'], 'outside any message'],
  ['python-hl7/sample_bad_file1.hl7', ['AR'], 'BHS opens a batch'],
  ['python-hl7/sample_bad_file2.hl7', ['AR'], 'FHS'],
  ['python-hl7/sample_batch1.hl7', ['AE', 'AE'], 'PV1-19'],
  ['python-hl7/sample_file1.hl7', ['AE', 'AE', 'AE'], 'PV1-19'],
  ['python-hl7/sample_hl7.hl7', ['AR'], 'not a registered HL7 feed'],
];

function msa(ack: string): { codes: string[]; controlIds: string[]; err: string } {
  const lines = ack.split('\r');
  const sep = (l: string) => l[3] ?? '|';
  const msaLines = lines.filter((l) => l.startsWith('MSA'));
  const errLine = lines.find((l) => l.startsWith('ERR')) ?? '';
  return { codes: msaLines.map((l) => l.split(sep(l))[1] ?? ''), controlIds: msaLines.map((l) => l.split(sep(l))[2] ?? ''), err: errLine };
}

describe.each(testEngines())('shared HL7 files over MLLP on %s', (engine) => {
  let s: TestSystem;
  let client: MllpClient;
  beforeAll(async () => {
    s = await startTestSystem(engine);
    const facilities = ['RCB', 'ABCHS', '699X0', 'MFT', 'R0A', 'RAX', 'RLC', '46355'];
    await ensureOrganisations(s.t.db, facilities.map((f) => ({ odsCode: f, name: `Org ${f}`, kind: 'acute', isaFrom: '2020-01-01' })));
    for (const f of facilities) await addFeed(s.t.db, { id: `f-${f.toLowerCase()}`, organisationOds: f, format: 'hl7v2' });
    client = await MllpClient.connect('127.0.0.1', s.system.mllpPort);
  });
  afterAll(async () => {
    await client.close();
    await s.close();
  });

  it.each(CASES)('%s → %j', async (file, codes, reason) => {
    const text = readFileSync(new URL(file, ROOT), 'latin1');
    const before = await s.t.db.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const ack = msa(await client.send(text));
    expect(ack.codes).toEqual(codes);
    if (reason) {
      expect(ack.err).toContain(reason);
      const after = await s.t.db.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n) - Number(before.n)).toBe(codes.length);
    } else {
      expect(ack.err).toBe('');
    }
  });

  it('echoes the control id in MSA-2 and stores each accepted message once', async () => {
    const text = readFileSync(new URL('nhs-itk-v24-examples/A01_example.hl7', ROOT), 'latin1');
    const ack = msa(await client.send(text));
    expect(ack.codes).toEqual(['AA']);
    expect(ack.controlIds).toEqual(['1391320453338055']);
    const rows = await s.t.db.selectFrom('inbox').select('id').where('message_id', '=', '1391320453338055').execute();
    expect(rows).toHaveLength(1);
  });

  it('processes what it acknowledged into resources with provenance', async () => {
    await s.system.drained();
    const rows = await s.t.db.selectFrom('resources').select(['resource_type', 'source_org', 'feed_id']).where('feed_id', '=', 'f-rcb').execute();
    const types = new Set(rows.map((r) => r.resource_type));
    expect(types).toContain('Patient');
    expect(types).toContain('Encounter');
    expect(rows.every((r) => r.source_org === 'RCB')).toBe(true);
    const reports = await s.t.db.selectFrom('resources').select('resource_type').where('feed_id', 'in', ['f-699x0', 'f-mft']).execute();
    // These genomics reports carry their result as an embedded PDF (no OBX values): reports, not observations.
    expect(reports.map((r) => r.resource_type)).toEqual(expect.arrayContaining(['Patient', 'DiagnosticReport', 'DocumentReference']));
    const failed = await s.t.db.selectFrom('inbox').select('id').where('status', '!=', 'done').execute();
    expect(failed).toEqual([]);
  });
});
