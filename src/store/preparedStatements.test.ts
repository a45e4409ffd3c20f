import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { nameRepeatedStatements } from './preparedStatements.ts';

/** A stand-in client recording what pg would have been asked. */
function recorder() {
  const calls: unknown[][] = [];
  const client = {
    query: (...args: unknown[]) => {
      calls.push(args);
      return Promise.resolve({ rows: [] });
    },
  };
  nameRepeatedStatements(client as unknown as pg.ClientBase, { after: 2, maxNamed: 2 });
  return { client, calls, names: () => calls.map((a) => (typeof a[0] === 'object' ? (a[0] as { name: string }).name : null)) };
}

describe('naming repeated statements', () => {
  it('names a parameterised text from its second run on, always with the same name', async () => {
    const r = recorder();
    for (let i = 0; i < 3; i++) await r.client.query('select $1::int', [i]);
    expect(r.names()).toEqual([null, 'ohc_1', 'ohc_1']);
    expect(r.calls[2]![0]).toEqual({ name: 'ohc_1', text: 'select $1::int', values: [2] });
  });

  it('leaves statements without parameters, and callback-style calls, as they were', async () => {
    const r = recorder();
    for (let i = 0; i < 3; i++) await r.client.query('begin', []);
    for (let i = 0; i < 3; i++) await r.client.query('select 1');
    expect(r.names()).toEqual([null, null, null, null, null, null]);
  });

  it('names at most maxNamed texts on a connection', async () => {
    const r = recorder();
    for (const t of ['a', 'b', 'c']) for (let i = 0; i < 2; i++) await r.client.query(`select $1::text as ${t}`, [t]);
    expect(r.names()).toEqual([null, 'ohc_1', null, 'ohc_2', null, null]);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('on PostgreSQL', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let c: pg.Client;
  beforeAll(async () => {
    c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.query('create table things (id int primary key, label text)');
    await c.query("insert into things values (1, 'one'), (2, 'two')");
    nameRepeatedStatements(c);
  });
  afterAll(async () => {
    await c.query(`drop schema ${schema} cascade`);
    await c.end();
  });

  it('prepares a repeated statement once and answers as before', async () => {
    const text = 'select label from things where id = $1';
    const answers = [];
    for (const id of [1, 2, 1, 2]) answers.push((await c.query<{ label: string }>(text, [id])).rows[0]?.label);
    expect(answers).toEqual(['one', 'two', 'one', 'two']);
    const prepared = await c.query<{ statement: string }>('select statement from pg_prepared_statements');
    expect(prepared.rows.map((r) => r.statement)).toEqual([text]);
  });

  it('stops naming a statement whose plan a schema change invalidated, and it then runs again', async () => {
    const text = 'select * from things where id = $1';
    await c.query(text, [1]);
    await c.query(text, [1]);
    await c.query('alter table things add column extra text');
    await expect(c.query(text, [1])).rejects.toMatchObject({ code: '0A000' });
    expect((await c.query(text, [1])).rows[0]).toEqual({ id: 1, label: 'one', extra: null });
  });
});
