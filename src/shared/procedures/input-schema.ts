import type { z } from "zod";
import { type ChangeOptions, changeOptionNames, changeOptionsShape } from "../change-control/options.ts";
import type { AnyProcedure } from "./declaration.ts";

const extended = new WeakMap<AnyProcedure, z.ZodObject>();

/**
 * The schema every edge parses a procedure's input with: its own, plus the change options when it
 * changes the estate. Built once per procedure, so `--dry-run`, `"dryRun": true` and a queued change's
 * options are the same field everywhere and no procedure declares them by hand.
 */
export function inputSchemaOf(procedure: AnyProcedure): z.ZodObject {
  if (!procedure.changesEstate) return procedure.input;
  let schema = extended.get(procedure);
  if (!schema) {
    schema = procedure.input.extend(changeOptionsShape);
    extended.set(procedure, schema);
  }
  return schema;
}

/** Parsed input split into the procedure's own fields and, for an estate change, the change options. */
export function splitInput(
  procedure: AnyProcedure,
  parsed: Record<string, unknown>,
): { input: Record<string, unknown>; change?: ChangeOptions } {
  if (!procedure.changesEstate) return { input: parsed };
  const input = { ...parsed };
  const change: Record<string, unknown> = {};
  for (const name of changeOptionNames) {
    change[name] = input[name];
    delete input[name];
  }
  return { input, change: change as unknown as ChangeOptions };
}
