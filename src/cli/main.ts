/**
 * phoenix-ops: the operations guide's scripts as one CLI, flag for flag, built from the procedure
 * registry: each procedure's command, flags, defaults, allowed values and help come from its
 * declaration. Every command calls the app's HTTP API with an Entra ID token (so roles and records
 * apply to people as to timers); `--direct` runs the procedure in this process instead, for
 * break-glass. Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown or error, 64 usage error.
 *
 * Why commander: it is the most used, dependency-free CLI parser for Node; it derives help, handles
 * nested commands (`incidents list`), choices, defaults, `--version` and `help <command>`, and lets
 * every parse error be routed to one place, so usage errors need no hand-written parsing.
 */
import { Command, CommanderError, Option } from "commander";
import type { z } from "zod";
import { isOpsError } from "../shared/errors.ts";
import { type AnyProcedure, BinaryFile } from "../shared/procedures/declaration.ts";
import { type InputField, fromText, inputFields, kebabCase } from "../shared/procedures/input-fields.ts";
import { inputSchemaOf } from "../shared/procedures/input-schema.ts";
import { procedures } from "../shared/procedures/registry.ts";
import { exitCodeOf, exitCodes } from "../shared/procedures/status.ts";
import { fieldIssues } from "../shared/validation.ts";
import { UsageError, callApi } from "./api-client.ts";
import { resolveBackend } from "./backend.ts";
import { runDirect } from "./direct.ts";
import { writeOutputFile } from "./output-file.ts";

declare const PHOENIX_OPS_VERSION: string | undefined;
const version = typeof PHOENIX_OPS_VERSION === "string" ? PHOENIX_OPS_VERSION : "0.0.0-dev";

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Where the CLI writes; tests capture it. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /**
   * In a checkout of the project: a script that runs this same command against a local stack. Used
   * only when no settings name an app to call.
   */
  localLauncher?: (argv: readonly string[]) => Promise<number>;
  /** Where a file answer goes without --output-file (default: the process's current folder). */
  cwd?: string;
}

interface CommonFlags {
  output: "table" | "json";
  direct?: boolean;
  outputFile?: string;
}

const outputOption = () =>
  new Option("--output <format>", "output format").choices(["table", "json"]).default("table");

export async function main(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const out = options.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = options.stderr ?? ((t: string) => void process.stderr.write(t));
  let exitCode: number = exitCodes.ok;
  const program = new Command("phoenix-ops")
    .description("Phoenix VC operations, from the operations guide, as one CLI")
    .version(version, "-V, --version")
    // The program's own flags count only before a command: `emergency-rollback --version 2.3.1` is the guide's.
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err, outputError: (text, write) => write(text) })
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown or error, 64 usage error.
Commands call the Phoenix Ops API (PHOENIX_API_URL) with an Entra ID token for PHOENIX_API_AUDIENCE
(default api://phoenix-ops) from DefaultAzureCredential. With no settings, in a checkout of the
project, they run against the local stack (the running \`npm start\`, or one started for the command).`,
    );

  const groups = new Map<string, Command>();
  for (const procedure of procedures) {
    if (procedure.cli?.hidden) continue;
    const words = procedure.name.split(" ");
    let parent = program;
    for (const word of words.slice(0, -1)) {
      let group = groups.get(word);
      if (!group) {
        group = parent.command(word).exitOverride();
        groups.set(word, group);
      }
      parent = group;
    }
    const command = parent
      .command(words.at(-1) ?? procedure.name)
      .description(procedure.summary)
      .exitOverride();
    const fields = inputFields(inputSchemaOf(procedure));
    const positionals = procedure.cli?.positionals ?? [];
    for (const name of positionals) command.argument(`<${kebabCase(name)}>`, describe(fields, name));
    for (const field of fields) {
      if (positionals.includes(field.name)) continue;
      command.addOption(flagFor(field));
    }
    command.addOption(outputOption());
    if (procedure.cli?.outputFile) {
      command.option(
        "--output-file <file>",
        "where to write the file (default: its own name in the current folder)",
      );
    }
    if (!procedure.cli?.local) {
      command.option(
        "--direct",
        "run in this process with your own Azure credential, bypassing the app (break-glass)",
      );
    }
    if (procedure.description) command.addHelpText("after", `\n${procedure.description}`);
    command.action(async (...args: unknown[]) => {
      const flags = command.opts<Record<string, string | boolean | undefined> & CommonFlags>();
      const given: Record<string, string> = {};
      positionals.forEach((name, index) => {
        const value = args[index];
        if (typeof value === "string") given[name] = value;
      });
      for (const field of fields) {
        const value = flags[field.name];
        if (typeof value === "string") given[field.name] = value;
        else if (value === true) given[field.name] = "true";
      }
      exitCode = await runCommand(procedure, given, flags, {
        env,
        out,
        err,
        argv,
        localLauncher: options.localLauncher,
        cwd: options.cwd ?? process.cwd(),
      });
    });
  }

  for (const [word, group] of groups) {
    group.description(`${word}: ${group.commands.map((c) => c.name()).join(", ")}`);
  }

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      if (error.exitCode === 0) return exitCodes.ok;
      err(`Run "phoenix-ops ${commandPath(argv)}--help" for usage.\n`);
      return exitCodes.usage;
    }
    return report(error, err, argv);
  }
}

function describe(fields: readonly InputField[], name: string): string {
  return fields.find((f) => f.name === name)?.description ?? name;
}

function flagFor(field: InputField): Option {
  const flag = `--${kebabCase(field.name)}`;
  const value =
    // A bare boolean flag means true (`--dry-run`); the guide's `--notification true` works as well.
    field.kind === "boolean" ? "[true|false]" : field.kind === "list" ? "<list>" : `<${valueName(field)}>`;
  const defaultText =
    field.defaultValue === undefined ? "" : ` (default: ${JSON.stringify(field.defaultValue)})`;
  // The default is shown, not applied: the schema applies it, so the API and the CLI agree.
  const option = new Option(`${flag} ${value}`, `${field.description ?? ""}${defaultText}`);
  if (field.kind === "enum" && field.choices) option.choices(field.choices);
  if (field.kind === "boolean") option.choices(["true", "false"]);
  if (field.required) option.makeOptionMandatory(true);
  return option;
}

function valueName(field: InputField): string {
  if (field.kind === "integer" || field.kind === "number") return "n";
  return kebabCase(field.name).split("-").at(-1) ?? "value";
}

function commandPath(argv: readonly string[]): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith("-")) break;
    words.push(arg);
    if (procedures.some((p) => p.name === words.join(" "))) break;
  }
  return words.length > 0 ? `${words.join(" ")} ` : "";
}

interface RunOptions {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
  argv: readonly string[];
  localLauncher?: CliOptions["localLauncher"];
  cwd: string;
}

async function runCommand(
  procedure: AnyProcedure,
  given: Record<string, string>,
  flags: CommonFlags,
  options: RunOptions,
): Promise<number> {
  const schema = inputSchemaOf(procedure);
  const parsed = schema.safeParse(fromText(schema, given));
  if (!parsed.success) throw usageError(procedure, parsed.error.issues);
  const input = parsed.data;
  let result: unknown;
  if (procedure.cli?.local) {
    result = await runDirect(procedure, input, { env: options.env, trigger: "local" });
  } else {
    const backend = resolveBackend(options.env, { direct: flags.direct === true });
    if (backend.kind === "local-stack") {
      if (!options.localLauncher) throw backend.problem;
      return options.localLauncher(options.argv);
    }
    if (backend.kind === "direct") {
      options.err(
        `phoenix-ops: --direct: running ${procedure.name} in this process with your own Azure credential. ` +
          "The app's API, its role checks and its guardrails were bypassed; records are written as the app writes them.\n",
      );
      result = await runDirect(procedure, input, { env: backend.env, trigger: "direct" });
    } else {
      if (flags.output === "table") options.err(`${procedure.summary.replace(/ \(.*\)$/, "")}…\n`);
      result = await callApi(backend, procedure, input);
    }
  }
  if (result instanceof BinaryFile) {
    await writeOutputFile(procedure, result, flags, options);
    return procedure.status ? exitCodeOf[procedure.status(result)] : exitCodes.ok;
  }
  options.out(
    flags.output === "json" || !procedure.table
      ? `${JSON.stringify(result, null, 2)}\n`
      : procedure.table(result),
  );
  return procedure.status ? exitCodeOf[procedure.status(result)] : exitCodes.ok;
}

function usageError(procedure: AnyProcedure, issues: readonly z.core.$ZodIssue[]): UsageError {
  const positionals = procedure.cli?.positionals ?? [];
  const lines = fieldIssues(issues, "(input)").map((i) => {
    const name = i.field.split(".")[0] ?? i.field;
    const where = positionals.includes(name) ? `<${kebabCase(name)}>` : `--${kebabCase(name)}`;
    return `${where}: ${i.message}`;
  });
  return new UsageError(lines.join("; "));
}

/** Failures that name the caller's mistake: bad settings or policy, a name that is unknown, bad input. */
const usageCodes = new Set(["SettingsInvalid", "ConfigInvalid", "BadRequest", "NotFound"]);

function report(error: unknown, err: (text: string) => void, argv: readonly string[]): number {
  const path = commandPath(argv).trim() || "phoenix-ops";
  if (error instanceof UsageError) {
    err(`phoenix-ops ${path}: ${error.message}\nRun "phoenix-ops ${path} --help" for usage.\n`);
    return exitCodes.usage;
  }
  // A user's mistake (bad settings, bad policy, unknown environment) gets its message, not a stack trace.
  const message = error instanceof Error ? error.message : String(error);
  err(`phoenix-ops ${path}: ${message}\n`);
  return isOpsError(error) && usageCodes.has(error.code) ? exitCodes.usage : exitCodes.error;
}
