/** `ohc orgs add|list`: the partner registry. */
import type { Command } from 'commander';
import { printJson, printTable, UserError, type CliContext } from '../context.ts';
import { addOrganisation, ensureOrganisations, listOrganisations, RegistryError } from '../../registry/organisations.ts';
import { countyPartners } from '../../generate/index.ts';
import { ORGANISATION_KINDS } from '../../registry/organisation.ts';
import { transaction } from '../../store/db.ts';
import { auditChange, CLI } from '../../audit/system.ts';

export function registerOrgs(program: Command, ctx: CliContext): void {
  const orgs = program.command('orgs').description('the partner registry: organisations that share data');
  orgs
    .command('add')
    .description('register an organisation')
    .requiredOption('--ods <code>', 'ODS code, e.g. RJE')
    .requiredOption('--name <name>', 'organisation name')
    .requiredOption('--kind <kind>', `one of ${ORGANISATION_KINDS.join(', ')}`)
    .option('--isa-from <date>', 'Information Sharing Agreement membership start, YYYY-MM-DD')
    .option('--isa-to <date>', 'Information Sharing Agreement membership end, YYYY-MM-DD')
    .option('--ico <number>', 'ICO registration number')
    .option('--siro <name>', 'Senior Information Risk Owner')
    .option('--caldicott <name>', 'Caldicott Guardian')
    .option('--access-contact <contact>', 'access-to-records team contact')
    .option('--synthetic', 'a made-up code for synthetic data')
    .option('--json', 'print the organisation as JSON')
    .action(async (o: { ods: string; name: string; kind: string; isaFrom?: string; isaTo?: string; ico?: string; siro?: string; caldicott?: string; accessContact?: string; synthetic?: boolean; json?: boolean }) => {
      const { db } = await ctx.database();
      try {
        const org = await transaction(db, async (trx) => {
          const added = await addOrganisation(trx, {
            odsCode: o.ods, name: o.name, kind: o.kind, isaFrom: o.isaFrom, isaTo: o.isaTo, icoRegistration: o.ico,
            siro: o.siro, caldicottGuardian: o.caldicott, accessToRecordsContact: o.accessContact, synthetic: o.synthetic,
          });
          await auditChange(trx, CLI, 'organisation-changed', { change: 'added', odsCode: added.odsCode, kind: added.kind }, new Date());
          return added;
        });
        if (o.json) printJson(ctx, org);
        else ctx.out(`registered ${org.odsCode} ${org.name} (${org.kind})\n`);
      } catch (err) {
        if (err instanceof RegistryError) throw new UserError(err.message);
        throw err;
      }
    });
  orgs
    .command('seed')
    .description('register the reference deployment: the county\'s trusts, councils, continuing healthcare and GP practices')
    .option('--persons <n>', 'size of the county, which sets how many (synthetic) GP practices (one per 7,000 people)', '1100000')
    .option('--json', 'print the codes added as JSON')
    .action(async (o: { persons: string; json?: boolean }) => {
      const persons = Number(o.persons);
      if (!Number.isInteger(persons) || persons < 1) throw new UserError(`--persons must be a whole number of at least 1, not "${o.persons}"`, 2);
      const { db } = await ctx.database();
      const added = await transaction(db, async (trx) => {
        const codes = await ensureOrganisations(trx, countyPartners({ persons }).map((p) => ({
          odsCode: p.odsCode, name: p.name, kind: p.kind, icoRegistration: p.icoRegistration, siro: p.siro, caldicottGuardian: p.caldicottGuardian,
          accessToRecordsContact: p.accessToRecordsEmail, isaFrom: p.isaFrom, isaTo: p.isaTo, synthetic: p.syntheticCode,
        })));
        if (codes.length > 0) await auditChange(trx, CLI, 'organisation-changed', { change: 'reference-deployment-registered', odsCodes: codes }, new Date());
        return codes;
      });
      if (o.json) return printJson(ctx, added);
      ctx.out(added.length > 0 ? `registered ${added.length} organisations: ${added.join(', ')}\n` : 'the reference deployment was already registered\n');
    });
  orgs
    .command('list')
    .description('list registered organisations')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const list = await listOrganisations(db);
      if (o.json) return printJson(ctx, list);
      printTable(ctx, list.map((x) => ({ ...x, isa: `${x.isaFrom ?? ''}..${x.isaTo ?? ''}` })), ['odsCode', 'kind', 'name', 'isa']);
    });
}
