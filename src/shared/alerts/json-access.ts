/**
 * Read-only, exception-free access to untrusted parsed JSON.
 *
 * Alert payloads are attacker-controllable when a webhook URL leaks, so every read here:
 * - only ever looks at own properties (never the prototype chain: "constructor", "__proto__", ...),
 * - never writes to the payload or builds objects keyed by payload keys,
 * - caps the size of what it returns (strings and lists), so a hostile payload cannot blow up storage.
 */

export type JsonRecord = Readonly<Record<string, unknown>>;

/** Longest text kept from a payload; longer text is cut and ends with "…". */
export const MAX_TEXT_LENGTH = 2000;
/** Most list items kept from a payload (targets, values, impacted services, criteria). */
export const MAX_LIST_ITEMS = 100;
/** Objects with more keys than this are only read by exact key name (case-insensitive lookup is skipped). */
const MAX_KEYS_FOR_CASE_INSENSITIVE_LOOKUP = 1000;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The first own property of `obj` named like one of `names`: exact spelling first, then ignoring case
 * (Azure spells the same key `alertTargetIDs`/`alertTargetIds`, `IsSynthetic`/`isSynthetic`,
 * `SearchIntervalEndtimeUtc`/`SearchIntervalEndTimeUtc`). Undefined when absent or `obj` is no object.
 */
export function field(obj: unknown, ...names: string[]): unknown {
  if (!isRecord(obj)) return undefined;
  for (const name of names) {
    if (Object.hasOwn(obj, name)) return obj[name];
  }
  const keys = Object.keys(obj);
  if (keys.length > MAX_KEYS_FOR_CASE_INSENSITIVE_LOOKUP) return undefined;
  for (const name of names) {
    const wanted = name.toLowerCase();
    const key = keys.find((k) => k.toLowerCase() === wanted);
    if (key !== undefined) return obj[key];
  }
  return undefined;
}

/** `field` narrowed to an object (or undefined). */
export function record(obj: unknown, ...names: string[]): JsonRecord | undefined {
  const value = field(obj, ...names);
  return isRecord(value) ? value : undefined;
}

/** `field` narrowed to an array, at most MAX_LIST_ITEMS long (or undefined). */
export function list(obj: unknown, ...names: string[]): readonly unknown[] | undefined {
  const value = field(obj, ...names);
  return Array.isArray(value) ? value.slice(0, MAX_LIST_ITEMS) : undefined;
}

export function hasField(obj: unknown, ...names: string[]): boolean {
  return field(obj, ...names) !== undefined;
}

/** Cuts `text` to `max` UTF-16 units (ending in "…"), never splitting a surrogate pair. */
export function cap(text: string, max = MAX_TEXT_LENGTH): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** The start of `text` that can matter once cut to `max` (so a 50 MB string is not scanned whole). */
function head(text: string, max: number): string {
  const start = text.trimStart();
  return start.length > max * 2 ? start.slice(0, max * 2) : start;
}

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL_CHARS_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * A single-line string from the payload: control characters (newlines, NUL, ...) become spaces, the
 * result is trimmed and capped. Finite numbers are accepted and written out. Null when empty or absent.
 */
export function line(value: unknown, max = MAX_TEXT_LENGTH): string | null {
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
  else return null;
  const cleaned = head(text, max).replace(CONTROL_CHARS, " ").trim();
  return cleaned === "" ? null : cap(cleaned, max);
}

/** Free text (descriptions): keeps tabs and line breaks, drops other control characters, trims and caps. */
export function multiline(value: unknown, max = MAX_TEXT_LENGTH): string | null {
  if (typeof value !== "string") return null;
  const cleaned = head(value, max).replace(CONTROL_CHARS_EXCEPT_WHITESPACE, "").trim();
  return cleaned === "" ? null : cap(cleaned, max);
}

/** First non-null result of `line` over several candidate values. */
export function firstLine(...values: unknown[]): string | null {
  for (const value of values) {
    const text = line(value);
    if (text !== null) return text;
  }
  return null;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A measured value or threshold: numbers stay numbers, numeric strings ("25", "0.3") become numbers,
 * anything else is kept as (single-line, capped) text. Null when absent.
 */
export function numberOrText(value: unknown): number | string | null {
  if (typeof value === "number") return Number.isFinite(value) ? value + 0 : null;
  if (typeof value === "boolean") return String(value);
  const text = line(value);
  if (text === null) return null;
  if (DECIMAL.test(text)) {
    const parsed = Number(text);
    if (Number.isFinite(parsed)) return parsed + 0;
  }
  return text;
}

const AMOUNT =
  /^([+-]?)\s*(?:\p{Sc}|[A-Z]{3}\s)?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?:\p{Sc}|\s[A-Z]{3})?$/u;

/**
 * A money amount: "1111.32", "$11,111.00", "€50.00", "50.00 USD" → number. Text that is not
 * unambiguously a US-formatted amount (e.g. "1.234,56 €") is kept as text rather than guessed at.
 */
export function amount(value: unknown): number | string | null {
  if (typeof value === "number") return Number.isFinite(value) ? value + 0 : null;
  const text = line(value);
  if (text === null) return null;
  const match = AMOUNT.exec(text);
  if (match) {
    const parsed = Number(`${match[1] ?? ""}${(match[2] ?? "").replaceAll(",", "")}`);
    if (Number.isFinite(parsed)) return parsed + 0;
  }
  return text;
}

/** True for `true`, "true", "True", "1". */
export function truthy(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === "string") return /^\s*(?:true|1)\s*$/i.test(value);
  return false;
}

/** Strings (and finite numbers) of a list, cleaned like `line`, deduplicated, at most MAX_LIST_ITEMS. */
export function lines(values: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const value of (values ?? []).slice(0, MAX_LIST_ITEMS * 10)) {
    const text = line(value);
    if (text !== null && !out.includes(text)) out.push(text);
    if (out.length >= MAX_LIST_ITEMS) break;
  }
  return out;
}

/** A list field that a sloppy sender may have sent as one string. */
export function asList(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[];
  return typeof value === "string" ? [value] : undefined;
}
