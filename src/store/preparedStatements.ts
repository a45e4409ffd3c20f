/**
 * Server-side prepared statements for the statements a connection repeats. Kysely hands pg every
 * query as text, which pg sends as an unnamed statement: PostgreSQL parses and plans it afresh
 * every time. On the read path planning costs more than executing (the record load plans in about
 * 0.25 ms and runs in 0.1 ms), so PostgreSQL spent most of its CPU per request planning the same
 * few statements again. Here a statement seen again on a connection is given a name: pg parses it
 * once per connection, and PostgreSQL keeps its plan (custom plans for the first five runs, then
 * the generic plan when that is no dearer — its usual rule for prepared statements).
 *
 * Bounded: at most `maxNamed` names per connection (a prepared statement holds server memory for
 * the connection's life), and the texts merely counted are forgotten when `maxCounted` is reached.
 * Statements without parameters (BEGIN, COMMIT, SET…) keep the simple protocol. A named
 * statement whose cached plan PostgreSQL refuses after a schema change (0A000, "cached plan must
 * not change result type") is not named again on that connection; the error itself reaches the
 * caller as any failed statement does.
 */
import type pg from 'pg';

export interface PreparedStatementOptions {
  /** Runs of a text on one connection before it is named: 2 names what repeats, not one-offs. */
  readonly after?: number;
  readonly maxNamed?: number;
  readonly maxCounted?: number;
}

type Query = (...args: unknown[]) => unknown;

const FEATURE_NOT_SUPPORTED = '0A000';
const marked = Symbol('ohc.namedStatements');

/** Makes `client` name the parameterised statements it repeats. Idempotent. */
export function nameRepeatedStatements(client: pg.ClientBase, opts: PreparedStatementOptions = {}): void {
  const after = opts.after ?? 2;
  const maxNamed = opts.maxNamed ?? 200;
  const maxCounted = opts.maxCounted ?? 2000;
  const target = client as unknown as { query: Query; [marked]?: true };
  if (target[marked]) return;
  target[marked] = true;
  const original: Query = target.query.bind(client);
  const named = new Map<string, string>();
  const refused = new Set<string>();
  let counted = new Map<string, number>();
  let next = 0;

  const nameFor = (text: string): string | null => {
    const known = named.get(text);
    if (known !== undefined) return known;
    if (refused.has(text) || named.size >= maxNamed) return null;
    const seen = (counted.get(text) ?? 0) + 1;
    if (seen < after) {
      if (counted.size >= maxCounted) counted = new Map();
      counted.set(text, seen);
      return null;
    }
    counted.delete(text);
    const name = `ohc_${++next}`;
    named.set(text, name);
    return name;
  };

  target.query = (...args: unknown[]): unknown => {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) return original(...args);
    const name = nameFor(text);
    if (name === null) return original(...args);
    const result = original({ name, text, values }) as Promise<unknown>;
    return result.catch((err: unknown) => {
      if ((err as { code?: unknown } | null)?.code === FEATURE_NOT_SUPPORTED) {
        named.delete(text);
        refused.add(text);
      }
      throw err;
    });
  };
}
