/**
 * Statements compiled once per query builder: the hot-path operations run a small, fixed set of
 * statement shapes, so building and compiling them with Kysely on every call is wasted work. A
 * prepared statement is built once with named placeholders in place of its parameters, compiled
 * in the builder's dialect (and schema), and then only binds the call's values: the SQL text is
 * exactly what Kysely would have produced, and the runners still receive a `CompiledQuery`.
 *
 * @module
 */
import type { Compilable, CompiledQuery, RootOperationNode } from 'kysely';
import type { StoreQueryBuilder } from './tables.js';

/** Stands for the argument named `name` while a statement is compiled. */
class Placeholder {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

/** Where one parameter of the compiled statement comes from: an argument, or a value fixed at build time. */
type Binding = { readonly argument: string } | { readonly value: unknown };

/** A statement compiled for one query builder. */
interface Template {
  readonly sql: string;
  readonly query: RootOperationNode;
  readonly queryId: CompiledQuery['queryId'];
  readonly bindings: readonly Binding[];
}

/** A statement shape whose arguments `A` are bound per call, returning rows `R`; see {@link prepare}. */
export type PreparedStatement<A extends object, R> = (db: StoreQueryBuilder, args: A) => CompiledQuery<R>;

/** An object whose every property reads as a placeholder named after it. */
function placeholders<A extends object>(): A {
  return new Proxy({} as A, {
    get: (_target, name) => new Placeholder(String(name)),
  });
}

function compileTemplate<A extends object, R>(
  db: StoreQueryBuilder,
  build: (db: StoreQueryBuilder, args: A) => Compilable<R>,
): Template {
  const compiled = build(db, placeholders<A>()).compile();
  const bindings = compiled.parameters.map(
    (parameter): Binding =>
      parameter instanceof Placeholder ? { argument: parameter.name } : { value: parameter },
  );
  return { sql: compiled.sql, query: compiled.query, queryId: compiled.queryId, bindings };
}

/**
 * Prepares the statement `build` makes from its arguments. `build` receives placeholders for the
 * arguments and must use each only as a parameter value (in `values`, `set` or a comparison),
 * never to choose the statement's shape: it runs once per query builder. Every argument passed
 * later must be defined (`null` for SQL NULL). Compiling happens on first use.
 *
 * @example
 * const byKey = prepare((db, a: { key: string }) =>
 *   db.selectFrom('cimd_cache').selectAll().where('cache_key', '=', a.key),
 * );
 * const row = yield* selectFirst(byKey(db, { key }));
 */
export function prepare<A extends object, R>(
  build: (db: StoreQueryBuilder, args: A) => Compilable<R>,
): PreparedStatement<A, R> {
  const templates = new WeakMap<StoreQueryBuilder, Template>();
  return (db, args) => {
    let template = templates.get(db);
    if (template === undefined) {
      template = compileTemplate(db, build);
      templates.set(db, template);
    }
    const { bindings } = template;
    const parameters = new Array<unknown>(bindings.length);
    for (let i = 0; i < bindings.length; i++) {
      const binding = bindings[i] as Binding;
      parameters[i] = 'argument' in binding ? args[binding.argument as keyof A] : binding.value;
    }
    return { sql: template.sql, parameters, query: template.query, queryId: template.queryId };
  };
}
