/**
 * HTTP trigger route templates, read as ASP.NET Core routing (which the Functions host uses) reads
 * them: literal segments, `{name}`, optional `{name?}`, defaults `{name=value}`, catch-all
 * `{*name}`, inline constraints `{id:int}`, and complex segments such as `{name}.{ext}`.
 * Literals match case-insensitively and a trailing slash is ignored.
 */

interface RouteParameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: RouteConstraint[];
}

interface RouteConstraint {
  name: string;
  args: string | undefined;
}

export interface RouteTemplate {
  readonly template: string;
  readonly parameters: readonly RouteParameter[];
  /** One digit per segment, ASP.NET's inbound precedence: lower matches first. */
  readonly precedence: readonly number[];
  readonly regex: RegExp;
}

/** Parses a template; throws for templates the host would refuse (unbalanced braces, misplaced catch-all). */
export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^~?\/+/, "").replace(/\/+$/, "");
  const segments = trimmed === "" ? [] : trimmed.split("/");
  const parameters: RouteParameter[] = [];
  const precedence: number[] = [];
  let pattern = "";
  segments.forEach((segment, index) => {
    const parts = splitSegment(segment, template);
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only && typeof only !== "string") {
      parameters.push(only);
      if (only.catchAll) {
        if (index !== segments.length - 1) throw new Error(`Route "${template}": a catch-all must be last`);
        pattern += "(?:/(.*))?";
        precedence.push(5);
      } else if (only.optional || only.defaultValue !== undefined) {
        pattern += "(?:/([^/]+))?";
        precedence.push(only.constraints.length > 0 ? 3 : 4);
      } else {
        pattern += "/([^/]+)";
        precedence.push(only.constraints.length > 0 ? 3 : 4);
      }
      return;
    }
    pattern += "/";
    for (const part of parts) {
      if (typeof part === "string") pattern += escapeRegex(part);
      else {
        if (part.catchAll) throw new Error(`Route "${template}": a catch-all must be a whole segment`);
        parameters.push(part);
        pattern += "([^/]+?)";
      }
    }
    precedence.push(parts.every((p) => typeof p === "string") ? 1 : 2);
  });
  return { template, parameters, precedence, regex: new RegExp(`^${pattern}$`, "i") };
}

/**
 * Matches `path` (the part after the route prefix, starting with "/" or empty) against a template.
 * Returns the route parameters, or undefined when the path or a constraint does not match.
 */
export function matchRoute(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const normalized = path.replace(/\/+$/, "");
  const match = route.regex.exec(normalized);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [i, parameter] of route.parameters.entries()) {
    const raw = match[i + 1];
    const value = raw === undefined || raw === "" ? parameter.defaultValue : safeDecode(raw);
    if (value === undefined) continue;
    if (!parameter.constraints.every((c) => satisfies(c, value))) return undefined;
    params[parameter.name] = value;
  }
  return params;
}

/** Orders routes so that the most specific template is tried first. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.template.localeCompare(b.template);
}

function splitSegment(segment: string, template: string): (string | RouteParameter)[] {
  const parts: (string | RouteParameter)[] = [];
  let i = 0;
  while (i < segment.length) {
    const open = segment.indexOf("{", i);
    if (open < 0) {
      parts.push(segment.slice(i));
      break;
    }
    if (open > i) parts.push(segment.slice(i, open));
    const close = findClosingBrace(segment, open);
    if (close < 0) throw new Error(`Route "${template}": unbalanced "{" in "${segment}"`);
    parts.push(parseParameter(segment.slice(open + 1, close), template));
    i = close + 1;
  }
  if (parts.length === 0) throw new Error(`Route "${template}" has an empty segment`);
  return parts;
}

/** Constraint arguments may hold braces and parentheses (regex), so count depth. */
function findClosingBrace(segment: string, open: number): number {
  let parens = 0;
  for (let i = open + 1; i < segment.length; i++) {
    const c = segment[i];
    if (c === "(") parens++;
    else if (c === ")") parens--;
    else if (c === "}" && parens <= 0) return i;
  }
  return -1;
}

function parseParameter(inner: string, template: string): RouteParameter {
  let rest = inner;
  const catchAll = rest.startsWith("*");
  rest = rest.replace(/^\*{1,2}/, "");
  const nameMatch = /^[^:=?]+/.exec(rest);
  if (!nameMatch) throw new Error(`Route "${template}": parameter "{${inner}}" has no name`);
  const name = nameMatch[0];
  rest = rest.slice(name.length);
  const constraints: RouteConstraint[] = [];
  while (rest.startsWith(":")) {
    const constraintName = /^:([A-Za-z]+)/.exec(rest)?.[1];
    if (!constraintName) throw new Error(`Route "${template}": bad constraint in "{${inner}}"`);
    rest = rest.slice(constraintName.length + 1);
    let args: string | undefined;
    if (rest.startsWith("(")) {
      let depth = 0;
      let end = 0;
      for (; end < rest.length; end++) {
        if (rest[end] === "(") depth++;
        else if (rest[end] === ")" && --depth === 0) break;
      }
      args = rest.slice(1, end);
      rest = rest.slice(end + 1);
    }
    constraints.push({ name: constraintName.toLowerCase(), args });
  }
  let optional = false;
  let defaultValue: string | undefined;
  if (rest === "?") optional = true;
  else if (rest.startsWith("=")) defaultValue = rest.slice(1);
  else if (rest !== "") throw new Error(`Route "${template}": cannot read parameter "{${inner}}"`);
  return { name, optional, catchAll, defaultValue, constraints };
}

/** ASP.NET's inline constraints; an unknown constraint name does not restrict the match. */
function satisfies(constraint: RouteConstraint, value: string): boolean {
  const nums = (constraint.args ?? "").split(",").map((a) => Number(a.trim()));
  const [a = NaN, b = NaN] = nums;
  const asNumber = Number(value);
  switch (constraint.name) {
    case "int":
      return /^-?\d+$/.test(value) && asNumber >= -(2 ** 31) && asNumber < 2 ** 31;
    case "long":
      return /^-?\d+$/.test(value);
    case "float":
    case "double":
    case "decimal":
      return value.trim() !== "" && Number.isFinite(asNumber);
    case "bool":
      return /^(true|false)$/i.test(value);
    case "guid":
      return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(value);
    case "alpha":
      return /^[a-z]+$/i.test(value);
    case "datetime":
      return !Number.isNaN(Date.parse(value));
    case "min":
      return /^-?\d+$/.test(value) && asNumber >= a;
    case "max":
      return /^-?\d+$/.test(value) && asNumber <= a;
    case "range":
      return /^-?\d+$/.test(value) && asNumber >= a && asNumber <= b;
    case "length":
      return Number.isNaN(b) ? value.length === a : value.length >= a && value.length <= b;
    case "minlength":
      return value.length >= a;
    case "maxlength":
      return value.length <= a;
    case "regex":
      // Braces in a template are doubled to escape them: "{{3}}" is the quantifier "{3}".
      return new RegExp((constraint.args ?? "").replace(/\{\{/g, "{").replace(/\}\}/g, "}"), "i").test(value);
    default:
      return true;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
