/**
 * `ohc audit verify | query | purge | checkpoint`: checking, reading and pruning the audit log from
 * the server host. Reading the log is itself audited (in the same transaction as the read).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findUser } from '../../access/index.ts';
import { printJson, printTable, UserError, type CliContext } from '../context.ts';
import { transaction } from '../../store/db.ts';
import {
  appendAuditMany,
  auditSettings,
  AuditPurgeError,
  AuditQueryError,
  checkpointNow,
  personIdsForNhsNumber,
  purgeAudit,
  queryAudit,
  retentionCutoff,
  storedPublicKeys,
  verifyStoredAudit,
  type AuditCheckpoint,
  type AuditEvent,
  type AuditEventDraft,
} from '../../audit/index.ts';

const CLI_ACTOR = { kind: 'system', id: 'ohc-cli' } as const;

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the audit log: verify the chain, query it, purge past retention');

  audit.command('verify').description('check the whole hash chain and its signed checkpoints; exit 1 naming the first bad event')
    .option('--json', 'print JSON')
    .option('--trusted-keys <file>', 'JSON {keyId: PEM public key}: trust only these keys, not the ones stored in the database')
    .option('--checkpoints <file>', 'JSON array of checkpoints published elsewhere that the log must still reach')
    .action(async (o: { json?: boolean; trustedKeys?: string; checkpoints?: string }) => {
      const publicKeys = o.trustedKeys ? readJson<Record<string, string>>(ctx, o.trustedKeys, '--trusted-keys') : undefined;
      const checkpoints = o.checkpoints ? readJson<AuditCheckpoint[]>(ctx, o.checkpoints, '--checkpoints') : undefined;
      if (checkpoints !== undefined && !Array.isArray(checkpoints)) throw new UserError('--checkpoints must hold a JSON array', 2);
      const { db } = await ctx.database();
      const started = Date.now();
      const result = await verifyStoredAudit(db, {
        ...(publicKeys ? { publicKeys, trustStoredKeys: false } : {}),
        ...(checkpoints ? { checkpoints } : {}),
      });
      const seconds = (Date.now() - started) / 1000;
      if (o.json) printJson(ctx, { ...result, seconds });
      else if (result.ok) {
        const from = result.startAfterSeq === 0 ? 'from the first event' : `from after the purge boundary at seq ${result.startAfterSeq}`;
        ctx.out(`audit log intact: ${result.count} events checked ${from} to seq ${result.lastSeq} (head ${result.lastHash.slice(0, 16)}…), ${result.checkpoints} signed checkpoints agree, ${seconds.toFixed(1)} s\n`);
      } else {
        ctx.out(`audit log NOT intact: first bad event is seq ${result.firstBad.seq} (${result.firstBad.problem}): ${result.firstBad.message}\n`);
      }
      if (!result.ok) throw new UserError(`audit verification failed at seq ${result.firstBad.seq}`, 1);
    });

  audit.command('query').description('who did what, when and why: the events about a person or by a user')
    .option('--nhs <number>', 'events about the person with this NHS number')
    .option('--user <name>', 'events by this user (username)')
    .option('--org <ods>', 'only events by staff of this organisation')
    .option('--from <date>', 'from this date or time (inclusive)')
    .option('--to <date>', 'before this date or time')
    .option('--limit <n>', 'most recent events to show', '200')
    .option('--json', 'print JSON')
    .action(async (o: { nhs?: string; user?: string; org?: string; from?: string; to?: string; limit: string; json?: boolean }) => {
      if (!o.nhs === !o.user) throw new UserError('give exactly one of --nhs or --user', 2);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UserError('--limit must be a whole number from 1 to 10000', 2);
      const from = o.from ? dateArg(o.from, '--from') : undefined;
      const to = o.to ? dateArg(o.to, '--to') : undefined;
      const { db } = await ctx.database();
      const now = new Date().toISOString();
      const events = await transaction(db, async (trx) => {
        try {
          const personIds = o.nhs ? await personIdsForNhsNumber(trx, o.nhs) : undefined;
          // --user takes a username (INTERFACES.md); events name users by their stable id.
          const actorId = o.user ? ((await findUser(trx, o.user))?.id ?? o.user) : undefined;
          if (personIds?.length === 0) throw new UserError('no person has that NHS number');
          const page = await queryAudit(trx, {
            ...(personIds ? { personId: personIds } : { actorId: actorId! }),
            ...(o.org ? { organisationOds: o.org } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            limit,
          });
          // Looking at the audit trail is an act the trail records, in this same transaction.
          const base: Omit<AuditEventDraft, 'personId'> = {
            time: now, actor: CLI_ACTOR, action: 'audit-viewed', purpose: 'information-governance', outcome: 'success',
            details: { by: o.nhs ? 'person' : 'user', ...(o.user ? { user: o.user } : {}), ...(o.org ? { organisation: o.org } : {}), events: page.events.length },
          };
          await appendAuditMany(trx, personIds ? personIds.map((personId) => ({ ...base, personId })) : [base]);
          return page.events;
        } catch (e) {
          if (e instanceof AuditQueryError) throw new UserError(e.message, 2);
          throw e;
        }
      });
      if (o.json) return printJson(ctx, events);
      printTable(ctx, events.map(tableRow), ['seq', 'time', 'actor', 'org', 'role', 'action', 'person', 'purpose', 'outcome', 'details']);
    });

  audit.command('purge').description('remove events older than the retention period (itself audited; the chain stays verifiable)')
    .option('--before <date>', 'remove events before this date (default: the retention period back from now)')
    .option('--json', 'print JSON')
    .action(async (o: { before?: string; json?: boolean }) => {
      const now = new Date();
      const before = o.before ? dateArg(o.before, '--before') : retentionCutoff(now, auditSettings().retentionDays);
      const { db } = await ctx.database();
      try {
        const r = await purgeAudit(db, { before, now, actor: CLI_ACTOR });
        if (o.json) return printJson(ctx, r);
        ctx.out(r.purged > 0
          ? `purged ${r.purged} audit events (through seq ${r.purgedThroughSeq}); signed boundary checkpoint kept; recorded as event ${r.event.seq}\n`
          : `nothing older than ${before.toISOString()} to purge; recorded as event ${r.event.seq}\n`);
      } catch (e) {
        if (e instanceof AuditPurgeError) throw new UserError(e.message);
        throw e;
      }
    });

  audit.command('checkpoint').description('sign the current head now and print it with the public key, to publish elsewhere')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const cp = await checkpointNow(db, { now: new Date() });
      if (!cp) throw new UserError('the audit log is empty: nothing to checkpoint');
      const keys = await storedPublicKeys(db);
      const publicKeyPem = keys[cp.keyId] ?? null;
      if (o.json) return printJson(ctx, { checkpoint: cp, publicKeyPem });
      ctx.out(`${JSON.stringify(cp)}\n${publicKeyPem ?? ''}`);
    });
}

function readJson<T>(ctx: CliContext, file: string, option: string): T {
  try {
    return JSON.parse(readFileSync(path.resolve(ctx.cwd, file), 'utf8')) as T;
  } catch {
    throw new UserError(`${option}: cannot read JSON from that file`, 2);
  }
}

function dateArg(text: string, option: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00.000Z`) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new UserError(`${option} is not a date (YYYY-MM-DD) or ISO time`, 2);
  return d;
}

function tableRow(e: AuditEvent): Record<string, unknown> {
  return {
    seq: e.seq, time: e.time, actor: `${e.actor.kind}:${e.actor.id}`, org: e.actor.organisationOds, role: e.actor.role,
    action: e.action, person: e.personId, purpose: e.purpose, outcome: e.outcome, details: e.details,
  };
}
