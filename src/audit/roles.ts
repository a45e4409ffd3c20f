/**
 * PostgreSQL privileges for the audit tables. The triggers refuse UPDATE, DELETE and TRUNCATE to
 * everyone including the owner; running the application as a role that never had those rights
 * also stops someone who could drop or disable a trigger through the application's connection.
 * Deploy with two roles: the owner (runs migrations, partition upkeep and `ohc audit purge`) and
 * the application role below (everything else, including `ohc serve`).
 */

/** SQL (run as the owner, after migrations) granting the application role what the audit log needs and no more. */
export function auditAppRoleSql(role: string, schema = 'public'): string {
  const r = quoteIdent(role);
  const s = quoteIdent(schema);
  return [
    `grant usage on schema ${s} to ${r};`,
    `revoke all on ${s}.audit_events, ${s}.audit_checkpoints, ${s}.audit_keys, ${s}.audit_chain_head from ${r};`,
    `grant select, insert on ${s}.audit_events, ${s}.audit_checkpoints, ${s}.audit_keys to ${r};`,
    `grant usage on sequence ${s}.audit_checkpoints_id_seq to ${r};`,
    // The head moves forward on every append (a trigger refuses any move back).
    `grant select, update on ${s}.audit_chain_head to ${r};`,
  ].join('\n');
}

function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(name)) throw new Error('a role or schema name must be a plain SQL identifier');
  return `"${name}"`;
}
