import type { Cell, Column, ColumnType, Table } from "./tables.ts";

/**
 * A small subset of KQL, enough for the queries the ops app runs against `requests`:
 *
 *   requests | where success == false and timestamp > ago(15m) | summarize failed = count() by cloud_RoleName
 *
 * Supported: `where` (==, !=, =~, !~, <, <=, >, >=, contains, has, startswith, endswith, in, in~,
 * !in, !in~; and/or/not;
 * ago(), now()), `take`/`limit`, `top N by`, `order by`/`sort by`, `project`, `count`, and `summarize`
 * with count(), countif(), sum(), avg(), min(), max(), dcount(), percentile() `by` columns or bin().
 * Anything else is refused with a SemanticError naming it, rather than answered wrongly.
 */

export class KqlError extends Error {
  constructor(
    readonly code: "SyntaxError" | "SemanticError",
    message: string,
  ) {
    super(message);
  }
}

type TokenKind = "ident" | "number" | "string" | "timespan" | "op" | "punct";
interface Token {
  kind: TokenKind;
  text: string;
  /** Numbers, and timespans in milliseconds. */
  number?: number;
}

const timespanUnits: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const rest = query.slice(i);
    const char = query[i] ?? "";
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (rest.startsWith("//")) {
      const end = query.indexOf("\n", i);
      i = end === -1 ? query.length : end;
      continue;
    }
    if (char === '"' || char === "'") {
      let value = "";
      let j = i + 1;
      while (j < query.length && query[j] !== char) {
        if (query[j] === "\\" && j + 1 < query.length) j++;
        value += query[j];
        j++;
      }
      if (j >= query.length)
        throw new KqlError("SyntaxError", `Unterminated string literal at position ${i}`);
      tokens.push({ kind: "string", text: value });
      i = j + 1;
      continue;
    }
    const number = /^(\d+(?:\.\d+)?)(ms|d|h|m|s)?(?![A-Za-z_])/.exec(rest);
    if (number) {
      const value = Number(number[1]);
      const unit = number[2];
      tokens.push(
        unit
          ? { kind: "timespan", text: number[0], number: value * (timespanUnits[unit] ?? 1) }
          : { kind: "number", text: number[0], number: value },
      );
      i += number[0].length;
      continue;
    }
    // `in~` is one operator; otherwise `~` only appears in =~ and !~.
    const ident = /^in~|^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      tokens.push({ kind: "ident", text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const op = /^(!in~?(?![A-Za-z0-9_])|==|!=|=~|!~|>=|<=|>|<|=)/.exec(rest);
    if (op) {
      tokens.push({ kind: "op", text: op[0] });
      i += op[0].length;
      continue;
    }
    if ("|,()".includes(char)) {
      tokens.push({ kind: "punct", text: char });
      i++;
      continue;
    }
    throw new KqlError("SyntaxError", `Unexpected character '${char}' at position ${i}`);
  }
  return tokens;
}

/** A cursor over one pipeline stage's tokens. */
class Stage {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  next(what: string): Token {
    const token = this.tokens[this.index++];
    if (!token) throw new KqlError("SyntaxError", `Expected ${what} but the query ended`);
    return token;
  }

  isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === "ident" && token.text.toLowerCase() === word;
  }

  accept(text: string): boolean {
    const token = this.peek();
    if (token && token.kind !== "string" && token.text.toLowerCase() === text) {
      this.index++;
      return true;
    }
    return false;
  }

  expect(text: string): void {
    if (!this.accept(text))
      throw new KqlError("SyntaxError", `Expected '${text}' near '${this.peek()?.text ?? "end of query"}'`);
  }

  ident(what: string): string {
    const token = this.next(what);
    if (token.kind !== "ident")
      throw new KqlError("SyntaxError", `Expected ${what} but found '${token.text}'`);
    return token.text;
  }

  integer(what: string): number {
    const token = this.next(what);
    if (token.kind !== "number" || !Number.isInteger(token.number)) {
      throw new KqlError("SyntaxError", `Expected ${what} but found '${token.text}'`);
    }
    return token.number ?? 0;
  }

  get done(): boolean {
    return this.index >= this.tokens.length;
  }
}

type Value =
  | { type: "datetime"; ms: number }
  | { type: "string"; text: string }
  | { type: "number"; n: number }
  | { type: "bool"; b: boolean }
  | { type: "null" };
type Row = Record<string, Cell>;
type Expr = (row: Row) => Value;
type Predicate = (row: Row) => boolean;

class Scope {
  constructor(readonly columns: Column[]) {}

  column(name: string): Column {
    const column = this.columns.find((c) => c.name === name);
    if (!column) throw new KqlError("SemanticError", `Failed to resolve scalar expression named '${name}'`);
    return column;
  }
}

function cellValue(cell: Cell | undefined, type: ColumnType): Value {
  if (cell === null || cell === undefined) return { type: "null" };
  if (type === "datetime") return { type: "datetime", ms: Date.parse(String(cell)) };
  if (typeof cell === "number") return { type: "number", n: cell };
  if (typeof cell === "boolean") return { type: "bool", b: cell };
  return { type: "string", text: cell };
}

function parseOperand(stage: Stage, scope: Scope): Expr {
  const token = stage.next("a value");
  if (token.kind === "string") return () => ({ type: "string", text: token.text });
  if (token.kind === "number") return () => ({ type: "number", n: token.number ?? 0 });
  if (token.kind === "timespan") return () => ({ type: "number", n: token.number ?? 0 });
  if (token.kind === "ident") {
    const word = token.text.toLowerCase();
    if (word === "true" || word === "false") return () => ({ type: "bool", b: word === "true" });
    if (stage.peek()?.text === "(") {
      stage.expect("(");
      if (word === "ago") {
        const span = stage.next("a timespan");
        if (span.kind !== "timespan")
          throw new KqlError("SyntaxError", `ago() takes a timespan such as 1h, not '${span.text}'`);
        stage.expect(")");
        const ms = Date.now() - (span.number ?? 0);
        return () => ({ type: "datetime", ms });
      }
      if (word === "now") {
        stage.expect(")");
        const ms = Date.now();
        return () => ({ type: "datetime", ms });
      }
      if (word === "datetime") {
        const text = stage.next("a date");
        stage.expect(")");
        const ms = Date.parse(text.text);
        if (Number.isNaN(ms)) throw new KqlError("SyntaxError", `Invalid datetime '${text.text}'`);
        return () => ({ type: "datetime", ms });
      }
      throw new KqlError(
        "SemanticError",
        `The local estate's query engine does not support the function '${token.text}()'`,
      );
    }
    const column = scope.column(token.text);
    return (row) => cellValue(row[column.name], column.type);
  }
  throw new KqlError("SyntaxError", `Unexpected '${token.text}'`);
}

function asNumber(value: Value): number {
  switch (value.type) {
    case "datetime":
      return value.ms;
    case "number":
      return value.n;
    case "bool":
      return value.b ? 1 : 0;
    case "string":
      return Date.parse(value.text) || Number(value.text);
    case "null":
      return Number.NaN;
  }
}

function asText(value: Value): string {
  switch (value.type) {
    case "string":
      return value.text;
    case "datetime":
      return new Date(value.ms).toISOString();
    case "number":
      return String(value.n);
    case "bool":
      return String(value.b);
    case "null":
      return "";
  }
}

function equal(a: Value, b: Value): boolean {
  if (a.type === "null" || b.type === "null") return false;
  if (a.type === "string" && b.type === "string") return a.text === b.text;
  if (a.type === "bool" || b.type === "bool") return asText(a) === asText(b);
  return asNumber(a) === asNumber(b);
}

const comparisons: Record<string, (a: Value, b: Value) => boolean> = {
  "==": equal,
  "!=": (a, b) => !equal(a, b),
  "=~": (a, b) => asText(a).toLowerCase() === asText(b).toLowerCase(),
  "!~": (a, b) => asText(a).toLowerCase() !== asText(b).toLowerCase(),
  ">": (a, b) => asNumber(a) > asNumber(b),
  ">=": (a, b) => asNumber(a) >= asNumber(b),
  "<": (a, b) => asNumber(a) < asNumber(b),
  "<=": (a, b) => asNumber(a) <= asNumber(b),
  contains: (a, b) => asText(a).toLowerCase().includes(asText(b).toLowerCase()),
  has: (a, b) => new RegExp(`(^|[^A-Za-z0-9])${escape(asText(b))}($|[^A-Za-z0-9])`, "i").test(asText(a)),
  startswith: (a, b) => asText(a).toLowerCase().startsWith(asText(b).toLowerCase()),
  endswith: (a, b) => asText(a).toLowerCase().endsWith(asText(b).toLowerCase()),
};

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function parseComparison(stage: Stage, scope: Scope): Predicate {
  if (stage.accept("(")) {
    const inner = parseCondition(stage, scope);
    stage.expect(")");
    return inner;
  }
  if (stage.isWord("not")) {
    stage.next("not");
    stage.expect("(");
    const inner = parseCondition(stage, scope);
    stage.expect(")");
    return (row) => !inner(row);
  }
  const left = parseOperand(stage, scope);
  const opToken = stage.peek();
  const op = opToken && opToken.kind !== "string" ? opToken.text.toLowerCase() : undefined;
  const membership = parseMembership(stage, scope, op);
  if (membership) return (row) => membership(left(row));
  if (op === undefined || !Object.hasOwn(comparisons, op)) {
    // A bare boolean column: `where success`.
    return (row) => {
      const value = left(row);
      return value.type === "bool" && value.b;
    };
  }
  stage.next("an operator");
  const compare = comparisons[op];
  if (!compare) throw new KqlError("SyntaxError", `Unknown operator '${op}'`);
  const right = parseOperand(stage, scope);
  return (row) => compare(left(row), right(row));
}

/** `x in ("a", "b")`, `in~` (case-insensitive) and their negations `!in`, `!in~`. */
function parseMembership(
  stage: Stage,
  scope: Scope,
  op: string | undefined,
): ((value: Value) => boolean) | undefined {
  if (op !== "in" && op !== "in~" && op !== "!in" && op !== "!in~") return undefined;
  stage.next("an operator");
  stage.expect("(");
  const items: Expr[] = [];
  do items.push(parseOperand(stage, scope));
  while (stage.accept(","));
  stage.expect(")");
  const insensitive = op.endsWith("~");
  const negated = op.startsWith("!");
  return (value) => {
    const found = items.some((item) => {
      const candidate = item({});
      return insensitive
        ? asText(value).toLowerCase() === asText(candidate).toLowerCase()
        : equal(value, candidate);
    });
    return negated ? !found : found;
  };
}

function parseConjunction(stage: Stage, scope: Scope): Predicate {
  const terms = [parseComparison(stage, scope)];
  while (stage.isWord("and")) {
    stage.next("and");
    terms.push(parseComparison(stage, scope));
  }
  return (row) => terms.every((t) => t(row));
}

function parseCondition(stage: Stage, scope: Scope): Predicate {
  const terms = [parseConjunction(stage, scope)];
  while (stage.isWord("or")) {
    stage.next("or");
    terms.push(parseConjunction(stage, scope));
  }
  return (row) => terms.some((t) => t(row));
}

function ensureDone(stage: Stage, operator: string): void {
  const token = stage.peek();
  if (token) throw new KqlError("SyntaxError", `Unexpected '${token.text}' in '${operator}'`);
}

function sortRows(rows: Row[], keys: { column: Column; descending: boolean }[]): Row[] {
  return [...rows].sort((a, b) => {
    for (const { column, descending } of keys) {
      const x = cellValue(a[column.name], column.type);
      const y = cellValue(b[column.name], column.type);
      const order =
        x.type === "string" && y.type === "string" ? x.text.localeCompare(y.text) : asNumber(x) - asNumber(y);
      if (order !== 0 && !Number.isNaN(order)) return descending ? -order : order;
    }
    return 0;
  });
}

function parseSortKeys(stage: Stage, scope: Scope): { column: Column; descending: boolean }[] {
  const keys: { column: Column; descending: boolean }[] = [];
  do {
    const column = scope.column(stage.ident("a column"));
    let descending = true;
    if (stage.isWord("asc")) {
      stage.next("asc");
      descending = false;
    } else if (stage.isWord("desc")) {
      stage.next("desc");
    }
    keys.push({ column, descending });
  } while (stage.accept(","));
  return keys;
}

interface Aggregate {
  column: Column;
  compute(rows: Row[]): Cell;
}

function numbers(rows: Row[], column: Column): number[] {
  return rows.map((r) => asNumber(cellValue(r[column.name], column.type))).filter((n) => !Number.isNaN(n));
}

function parseAggregate(stage: Stage, scope: Scope): Aggregate {
  let alias: string | undefined;
  if (stage.peek(1)?.text === "=" && stage.peek()?.kind === "ident") {
    alias = stage.ident("a column name");
    stage.expect("=");
  }
  const fn = stage.ident("an aggregation").toLowerCase();
  stage.expect("(");
  const named = (fallback: string, type: ColumnType): Column => ({ name: alias ?? fallback, type });
  let aggregate: Aggregate;
  if (fn === "count") {
    aggregate = { column: named("count_", "long"), compute: (rows) => rows.length };
  } else if (fn === "countif") {
    const predicate = parseCondition(stage, scope);
    aggregate = { column: named("countif_", "long"), compute: (rows) => rows.filter(predicate).length };
  } else if (["sum", "avg", "min", "max", "dcount", "percentile"].includes(fn)) {
    const source = scope.column(stage.ident("a column"));
    if (fn === "percentile") {
      stage.expect(",");
      const p = stage.next("a percentile");
      const rank = p.number ?? 50;
      aggregate = {
        column: named(`percentile_${source.name}_${p.text}`, "real"),
        compute: (rows) => {
          const sorted = numbers(rows, source).sort((a, b) => a - b);
          if (!sorted.length) return null;
          return (
            sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((rank / 100) * sorted.length) - 1))] ??
            null
          );
        },
      };
    } else if (fn === "dcount") {
      aggregate = {
        column: named(`dcount_${source.name}`, "long"),
        compute: (rows) => new Set(rows.map((r) => String(r[source.name]))).size,
      };
    } else {
      const type: ColumnType = fn === "avg" ? "real" : source.type;
      aggregate = {
        column: named(`${fn}_${source.name}`, type),
        compute: (rows) => {
          const values = numbers(rows, source);
          if (!values.length) return null;
          const result =
            fn === "sum"
              ? values.reduce((s, v) => s + v, 0)
              : fn === "avg"
                ? values.reduce((s, v) => s + v, 0) / values.length
                : fn === "min"
                  ? Math.min(...values)
                  : Math.max(...values);
          return source.type === "datetime" && fn !== "avg" && fn !== "sum"
            ? new Date(result).toISOString()
            : result;
        },
      };
    }
  } else {
    throw new KqlError(
      "SemanticError",
      `The local estate's query engine does not support the aggregation '${fn}()'`,
    );
  }
  stage.expect(")");
  return aggregate;
}

interface GroupKey {
  column: Column;
  key(row: Row): Cell;
}

function parseGroupKey(stage: Stage, scope: Scope): GroupKey {
  if (stage.isWord("bin") && stage.peek(1)?.text === "(") {
    stage.next("bin");
    stage.expect("(");
    const column = scope.column(stage.ident("a column"));
    stage.expect(",");
    const size = stage.next("a bin size");
    stage.expect(")");
    const step = size.number ?? 1;
    return {
      column,
      key: (row) => {
        const n = asNumber(cellValue(row[column.name], column.type));
        const binned = Math.floor(n / step) * step;
        return column.type === "datetime" ? new Date(binned).toISOString() : binned;
      },
    };
  }
  const column = scope.column(stage.ident("a column"));
  return { column, key: (row) => row[column.name] ?? null };
}

function summarize(stage: Stage, table: Table): Table {
  const scope = new Scope(table.columns);
  const aggregates: Aggregate[] = [];
  if (!stage.isWord("by")) {
    do aggregates.push(parseAggregate(stage, scope));
    while (stage.accept(","));
  }
  const keys: GroupKey[] = [];
  if (stage.isWord("by")) {
    stage.next("by");
    do keys.push(parseGroupKey(stage, scope));
    while (stage.accept(","));
  }
  ensureDone(stage, "summarize");
  const groups = new Map<string, { key: Cell[]; rows: Row[] }>();
  for (const row of table.rows) {
    const key = keys.map((k) => k.key(row));
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  if (keys.length === 0 && groups.size === 0) groups.set("[]", { key: [], rows: [] });
  const columns = [...keys.map((k) => k.column), ...aggregates.map((a) => a.column)];
  const rows = [...groups.values()].map((group) => {
    const row: Row = {};
    keys.forEach((k, i) => (row[k.column.name] = group.key[i] ?? null));
    for (const a of aggregates) row[a.column.name] = a.compute(group.rows);
    return row;
  });
  return { name: table.name, columns, rows };
}

function applyStage(stage: Stage, table: Table): Table {
  const operator = stage.ident("an operator").toLowerCase();
  const scope = new Scope(table.columns);
  switch (operator) {
    case "where":
    case "filter": {
      const predicate = parseCondition(stage, scope);
      ensureDone(stage, operator);
      return { ...table, rows: table.rows.filter(predicate) };
    }
    case "take":
    case "limit": {
      const n = stage.integer("a row count");
      ensureDone(stage, operator);
      return { ...table, rows: table.rows.slice(0, n) };
    }
    case "top": {
      const n = stage.integer("a row count");
      if (!stage.isWord("by")) throw new KqlError("SyntaxError", "Expected 'by' after top N");
      stage.next("by");
      const keys = parseSortKeys(stage, scope);
      ensureDone(stage, operator);
      return { ...table, rows: sortRows(table.rows, keys).slice(0, n) };
    }
    case "order":
    case "sort": {
      if (!stage.isWord("by")) throw new KqlError("SyntaxError", `Expected 'by' after ${operator}`);
      stage.next("by");
      const keys = parseSortKeys(stage, scope);
      ensureDone(stage, operator);
      return { ...table, rows: sortRows(table.rows, keys) };
    }
    case "project": {
      // `project a, b` or with a rename, `project Status = ScStatus`.
      const picks: { column: Column; source: Column }[] = [];
      do {
        const name = stage.ident("a column");
        if (stage.peek()?.text === "=" && stage.peek()?.kind === "op") {
          stage.expect("=");
          const source = scope.column(stage.ident("a column"));
          picks.push({ column: { name, type: source.type }, source });
        } else {
          const column = scope.column(name);
          picks.push({ column, source: column });
        }
      } while (stage.accept(","));
      ensureDone(stage, operator);
      return {
        ...table,
        columns: picks.map((p) => p.column),
        rows: table.rows.map((row) =>
          Object.fromEntries(picks.map((p) => [p.column.name, row[p.source.name] ?? null])),
        ),
      };
    }
    case "count":
      ensureDone(stage, operator);
      return {
        name: table.name,
        columns: [{ name: "Count", type: "long" }],
        rows: [{ Count: table.rows.length }],
      };
    case "summarize":
      return summarize(stage, table);
    default:
      throw new KqlError(
        "SemanticError",
        `The local estate's query engine does not support the '${operator}' operator`,
      );
  }
}

/** Runs a query; `table` resolves a table name to its rows (undefined when there is no such table). */
export function runQuery(query: string, table: (name: string) => Table | undefined): Table {
  const tokens = tokenize(query);
  const stages: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === "punct" && token.text === "|") stages.push([]);
    else stages[stages.length - 1]?.push(token);
  }
  const [source = [], ...operators] = stages;
  const first = source[0];
  if (!first || first.kind !== "ident" || source.length !== 1) {
    throw new KqlError("SyntaxError", "A query must start with a table name, e.g. 'requests | take 10'");
  }
  let current = table(first.text);
  if (!current)
    throw new KqlError(
      "SemanticError",
      `'${first.text}' operator: Failed to resolve table or column expression named '${first.text}'`,
    );
  for (const tokensOfStage of operators) {
    if (tokensOfStage.length === 0) throw new KqlError("SyntaxError", "Empty pipeline stage");
    current = applyStage(new Stage(tokensOfStage), current);
  }
  return current;
}

/** The wire form: `{name, columns, rows: [[...]]}` with typed cells, as in the Query_Batch example. */
export function serializeTable(
  table: Table,
  name = "PrimaryResult",
): { name: string; columns: Column[]; rows: Cell[][] } {
  return {
    name,
    columns: table.columns,
    rows: table.rows.map((row) => table.columns.map((c) => row[c.name] ?? null)),
  };
}
