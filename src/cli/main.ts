import { parseArgs } from "node:util";
import { createServices } from "../shared/composition-root.ts";
import { isOpsError } from "../shared/errors.ts";
import { exitCodeOf } from "../shared/health/status.ts";
import { createLogger, stderrSink } from "../shared/log.ts";
import { runHealthCheck } from "../shared/operations/health-check.ts";
import { renderHealthTable } from "../shared/reports/health-table.ts";

/**
 * phoenix-ops: the operations guide's scripts as one CLI, flag for flag. It runs the same operations as
 * the Functions app. Exit codes follow the monitoring-plugins convention: 0 ok, 1 warning, 2 critical,
 * 3 unknown (also for errors); 64 for a usage error.
 */
const EXIT_USAGE = 64;
const EXIT_ERROR = 3;

const mainHelp = `phoenix-ops: Phoenix VC operations, from the operations guide

Usage: phoenix-ops <command> [options]

Commands:
  health-check   Daily health check of web app, API and database (health-check.sh)

Run "phoenix-ops <command> --help" for a command's options.

Settings come from the environment (see local.settings.sample.json). With none set, in a checkout of
the project, the CLI runs against the local estate: the running one (npm start) or one started for the
command.`;

const healthHelp = `phoenix-ops health-check: check an environment's components now

Usage: phoenix-ops health-check [--environment prod] [--components "webapp,api,database"] [options]

Options:
  --environment NAME     environment from the ops policy (default: prod)
  --components LIST      comma-separated component names (default: all of the environment's)
  --output table|json    output format (default: table)
  --notify true|false    email the environment's recipients when the run is not ok (default: true)
  --record true|false    keep the run in the history (default: true)
  -h, --help             show this help

Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown or error, 64 usage error.`;

class UsageError extends Error {}

function parseBool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new UsageError(`--${name} must be true or false, not "${value}"`);
}

async function healthCheck(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      environment: { type: "string", default: "prod" },
      components: { type: "string" },
      output: { type: "string", default: "table" },
      notify: { type: "string" },
      record: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${healthHelp}\n`);
    return 0;
  }
  const output = values.output;
  if (output !== "table" && output !== "json")
    throw new UsageError(`--output must be table or json, not "${output}"`);
  const components = values.components
    ?.split(",")
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  // On a laptop the CLI signs in like the az CLI does (DefaultAzureCredential) unless told otherwise.
  const services = createServices({
    env: { PHOENIX_CREDENTIAL: "default", ...process.env },
    // A person reads stderr: only warnings and errors, unless PHOENIX_LOG_LEVEL=info asks for more.
    logger: createLogger(
      (level, line) => {
        if (level === "warn" || level === "error" || process.env.PHOENIX_LOG_LEVEL === "info")
          stderrSink(level, line);
      },
      { app: "phoenix-ops-cli" },
    ),
  });
  if (output === "table")
    process.stderr.write(
      `Checking ${values.environment}${components ? ` (${components.join(", ")})` : ""}…\n`,
    );
  const report = await runHealthCheck(services.healthCheck, {
    environment: values.environment,
    components,
    trigger: "cli",
    notify: parseBool("notify", values.notify, true),
    record: parseBool("record", values.record, true),
  });
  process.stdout.write(
    output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderHealthTable(report),
  );
  return exitCodeOf[report.status];
}

const commands: Record<string, (args: string[]) => Promise<number>> = {
  "health-check": healthCheck,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${mainHelp}\n`);
    return command ? 0 : EXIT_USAGE;
  }
  const run = commands[command];
  if (!run) {
    process.stderr.write(`phoenix-ops: unknown command "${command}"\n\n${mainHelp}\n`);
    return EXIT_USAGE;
  }
  try {
    return await run(rest);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(
        `phoenix-ops ${command}: ${error.message}\nRun "phoenix-ops ${command} --help" for usage.\n`,
      );
      return EXIT_USAGE;
    }
    // A user's mistake (bad settings, bad policy, unknown environment) gets its message, not a stack trace.
    const message = isOpsError(error)
      ? error.message
      : error instanceof Error
        ? error.message
        : String(error);
    process.stderr.write(`phoenix-ops ${command}: ${message}\n`);
    return EXIT_ERROR;
  }
}
