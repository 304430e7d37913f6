import { parseArgs } from "node:util";
import type { OpsApiClient } from "../shared/adapters/ops-api-client.ts";
import { createOpsApiClient, createServices } from "../shared/composition-root.ts";
import { type Incident, type IncidentEvent, priorities } from "../shared/incidents/model.ts";
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
  health-check        Daily health check of web app, API and database (health-check.sh)
  incident-response   Open an incident by hand and notify the team (incident-response.sh)
  incidents           List, show, acknowledge and resolve incidents

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

const incidentResponseHelp = `phoenix-ops incident-response: activate incident response

Usage: phoenix-ops incident-response --severity high [--notify-team true] [--title TEXT] [--environment prod]

Options:
  --severity critical|high|medium|low|info   (required)
  --notify-team true|false   email the environment's (or the default) recipients (default: true)
  --title TEXT               what is happening (default: "Incident response activated")
  --description TEXT         more detail
  --environment NAME         environment from the ops policy
  --output table|json        output format (default: table)
  -h, --help                 show this help

Calls the Phoenix Ops API (PHOENIX_API_URL) with an Entra ID token for PHOENIX_API_AUDIENCE
(default api://phoenix-ops) from DefaultAzureCredential; needs the Ops.Operator role.`;

const incidentsHelp = `phoenix-ops incidents: look at and act on incidents

Usage:
  phoenix-ops incidents list [--status open|acknowledged|resolved] [--limit 50]
  phoenix-ops incidents show ID
  phoenix-ops incidents ack ID [--note TEXT]
  phoenix-ops incidents resolve ID [--note TEXT]

Options:
  --output table|json   output format (default: table)
  -h, --help            show this help

Reading needs the Ops.Reader (or Ops.Operator) role; ack and resolve need Ops.Operator.`;

function apiClient(): OpsApiClient {
  return createOpsApiClient(process.env);
}

function outputOf(value: string | undefined): "table" | "json" {
  if (value !== "table" && value !== "json")
    throw new UsageError(`--output must be table or json, not "${value}"`);
  return value;
}

function incidentLine(i: Incident): string[] {
  return [
    i.id,
    i.status,
    i.priority,
    i.suppressedBy ? "suppressed" : "",
    String(i.alertCount),
    i.openedAt.slice(0, 19).replace("T", " "),
    i.title,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

function describeIncident(incident: Incident, history: IncidentEvent[] = []): string {
  const lines = [
    `${incident.id}  ${incident.status.toUpperCase()}  ${incident.priority}${incident.suppressedBy ? `  (suppressed by ${incident.suppressedBy})` : ""}`,
    `Title:        ${incident.title}`,
    `Rule:         ${incident.rule}`,
    `Environment:  ${incident.environment ?? "-"}`,
    `Target:       ${incident.target ?? "-"}`,
    `Opened:       ${incident.openedAt} by ${incident.openedBy}`,
    ...(incident.acknowledgedAt
      ? [`Acknowledged: ${incident.acknowledgedAt} by ${incident.acknowledgedBy ?? "?"}`]
      : []),
    ...(incident.resolvedAt ? [`Resolved:     ${incident.resolvedAt} by ${incident.resolvedBy ?? "?"}`] : []),
    `Alerts:       ${incident.alertCount} received, ${incident.activeAlerts.length} firing`,
    ...(incident.escalation
      ? [
          `Escalation:   level ${incident.escalation.level + 1}, round ${incident.escalation.round + 1}${incident.escalation.nextAt ? `, next at ${incident.escalation.nextAt}` : ""}`,
        ]
      : []),
    `Diagnostics:  ${incident.diagnostics.status}`,
    ...(incident.link ? [`In Azure:     ${incident.link}`] : []),
  ];
  if (history.length > 0) {
    lines.push("", "History:", ...history.map((e) => `  ${e.at}  ${e.type.padEnd(13)} ${e.by}: ${e.detail}`));
  }
  return `${lines.join("\n")}\n`;
}

async function incidentResponse(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      severity: { type: "string" },
      "notify-team": { type: "string" },
      title: { type: "string" },
      description: { type: "string" },
      environment: { type: "string" },
      output: { type: "string", default: "table" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${incidentResponseHelp}\n`);
    return 0;
  }
  const output = outputOf(values.output);
  const severity = values.severity;
  if (!severity || !(priorities as readonly string[]).includes(severity)) {
    throw new UsageError(`--severity must be one of ${priorities.join(", ")}`);
  }
  const incident = await apiClient().openIncident({
    severity,
    title: values.title,
    description: values.description,
    environment: values.environment,
    notifyTeam: parseBool("notify-team", values["notify-team"], true),
  });
  process.stdout.write(
    output === "json" ? `${JSON.stringify(incident, null, 2)}\n` : describeIncident(incident),
  );
  return 0;
}

async function incidents(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      status: { type: "string" },
      limit: { type: "string", default: "50" },
      note: { type: "string" },
      output: { type: "string", default: "table" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (!action || action === "--help" || action === "-h" || values.help) {
    process.stdout.write(`${incidentsHelp}\n`);
    return action ? 0 : EXIT_USAGE;
  }
  const output = outputOf(values.output);
  const client = apiClient();
  const print = (json: unknown, text: string): void => {
    process.stdout.write(output === "json" ? `${JSON.stringify(json, null, 2)}\n` : text);
  };
  const needId = (): string => {
    const id = positionals[0];
    if (!id) throw new UsageError(`incidents ${action} needs an incident id`);
    return id;
  };
  switch (action) {
    case "list": {
      if (values.status && !["open", "acknowledged", "resolved"].includes(values.status)) {
        throw new UsageError("--status must be open, acknowledged or resolved");
      }
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new UsageError("--limit must be from 1 to 500");
      const { incidents: found } = await client.listIncidents({ status: values.status, limit });
      print(
        found,
        found.length === 0
          ? "No incidents.\n"
          : table([
              ["ID", "STATUS", "PRIORITY", "", "ALERTS", "OPENED (UTC)", "TITLE"],
              ...found.map(incidentLine),
            ]),
      );
      return 0;
    }
    case "show": {
      const { incident, history } = await client.getIncident(needId());
      print({ incident, history }, describeIncident(incident, history));
      return 0;
    }
    case "ack":
    case "acknowledge": {
      const incident = await client.acknowledge(needId(), values.note);
      print(incident, `Acknowledged ${incident.id}; escalation stopped.\n`);
      return 0;
    }
    case "resolve": {
      const incident = await client.resolve(needId(), values.note);
      print(incident, `Resolved ${incident.id}.\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown action "${action}": use list, show, ack or resolve`);
  }
}

const commands: Record<string, (args: string[]) => Promise<number>> = {
  "health-check": healthCheck,
  "incident-response": incidentResponse,
  incidents,
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
