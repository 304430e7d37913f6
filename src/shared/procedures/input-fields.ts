import type { z } from "zod";

/**
 * What the CLI and query strings need to know of an input field, read from the procedure's zod schema
 * itself: a flag's kind, its allowed values, its default and its help all come from one place.
 */
export interface InputField {
  name: string;
  kind: "string" | "boolean" | "integer" | "number" | "enum" | "list";
  required: boolean;
  choices?: readonly string[];
  defaultValue?: unknown;
  description?: string;
}

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      innerType?: z.ZodType;
      element?: z.ZodType;
      in?: z.ZodType;
      out?: z.ZodType;
      entries?: Record<string, string>;
      defaultValue?: unknown;
    };
    bag: { format?: string };
  };
  description?: string;
  isInt?: boolean;
}

const internals = (schema: z.ZodType): ZodInternals => schema;

function describeOne(name: string, schema: z.ZodType): InputField {
  let current = internals(schema);
  let required = true;
  let defaultValue: unknown;
  let description = current.description;
  for (;;) {
    const def = current._zod.def;
    if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType) {
      if (def.type !== "nullable") required = false;
      if (def.type === "default") defaultValue = def.defaultValue;
      current = internals(def.innerType);
    } else if (def.type === "pipe" && def.in) {
      current = internals(def.in);
    } else break;
    description ??= current.description;
  }
  const def = current._zod.def;
  const base = { name, required, description, ...(defaultValue === undefined ? {} : { defaultValue }) };
  switch (def.type) {
    case "boolean":
      return { ...base, kind: "boolean" };
    case "number":
      return { ...base, kind: current.isInt ? "integer" : "number" };
    case "enum":
      return { ...base, kind: "enum", choices: Object.values(def.entries ?? {}) };
    case "array":
      return { ...base, kind: "list" };
    default:
      return { ...base, kind: "string" };
  }
}

const described = new WeakMap<z.ZodObject, InputField[]>();

/** The schema's fields, read once per schema: the HTTP edge asks on every request. */
export function inputFields(schema: z.ZodObject): InputField[] {
  let fields = described.get(schema);
  if (!fields) {
    fields = Object.entries(schema.shape).map(([name, field]) => describeOne(name, field as z.ZodType));
    described.set(schema, fields);
  }
  return fields;
}

const integerText = /^-?\d+$/;
const numberText = /^-?\d+(\.\d+)?$/;

/**
 * Turns text values (CLI flags, query parameters, route parameters) into what the schema expects, so
 * that one schema validates a JSON body and a command line alike. Text that is not exactly a number or
 * a boolean is left as text, and the schema then names the field: `1e2`, `0x10` and `yes` are refused.
 */
export function fromText(
  schema: z.ZodObject,
  values: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const fields = new Map(inputFields(schema).map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(values)) {
    const field = fields.get(name);
    out[name] = field ? convert(field, text) : text;
  }
  return out;
}

function convert(field: InputField, text: string): unknown {
  switch (field.kind) {
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "integer":
      return integerText.test(text) ? Number(text) : text;
    case "number":
      return numberText.test(text) ? Number(text) : text;
    case "list":
      return text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    default:
      return text;
  }
}

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
