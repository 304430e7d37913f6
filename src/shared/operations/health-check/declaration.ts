import { z } from "zod";
import { OpsError } from "../../errors.ts";
import { knownName, knownNames } from "../../names.ts";
import type { RunRecord } from "../../ports/run-history.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { statuses } from "../../procedures/status.ts";
import { renderTable } from "../../render/table.ts";
import { HEALTH_HISTORY, runHealthCheck } from "./operation.ts";
import type { HealthReport } from "./report.ts";
import { renderHealthTable } from "./table.ts";

const name = z.string().min(1).max(80);

/** The guide's `health-check.sh --environment prod --components "webapp,api,database"`. */
export const healthCheck = defineProcedure({
  name: "health-check",
  summary: "Check an environment's web app, API and database now (health-check.sh)",
  description:
    "Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown or error, 64 usage error. A run that is not ok emails the environment's recipients.",
  input: z
    .object({
      environment: name.default("prod").describe("environment from the ops policy"),
      components: z
        .union([z.array(name), z.string().transform((v) => v.split(","))])
        .transform((list) => list.map((s) => s.trim()).filter((s) => s.length > 0))
        .pipe(z.array(name).min(1, "name at least one component"))
        .optional()
        .describe('comma-separated component names, e.g. "webapp,api,database" (default: all)'),
      notify: z.boolean().default(true).describe("email the recipients when the run is not ok"),
      record: z.boolean().default(true).describe("keep the run in the history"),
    })
    .strict(),
  ports: ["inventory", "metrics", "probe", "email", "runHistory"],
  run: (ports, input, context) => runHealthCheck(ports, input, context),
  status: (report) => report.status,
  table: renderHealthTable,
  changesEstate: false,
  http: { method: "POST", route: "health-checks", auth: "Ops.Reader" },
  timer: {
    name: "health-check-daily",
    // Ticks hourly, runs each environment once a day at or after the policy's hour: a late tick still runs.
    schedule: "0 0 * * * *",
    period: "day",
    due: (policy, now) =>
      now.getUTCHours() >= policy.healthCheck.hourUtc || `before ${policy.healthCheck.hourUtc}:00 UTC`,
    scopes: (policy) =>
      Object.keys(policy.environments).map((scope) => ({ scope, input: { environment: scope } })),
  },
});

interface HealthRunSummary {
  runId: string;
  environment: string;
  trigger: string;
  status: RunRecord["status"];
  startedAt: string;
  finishedAt: string;
  componentCount: number;
  notified: boolean;
}

function environmentOf(policy: Parameters<typeof knownName>[0], environment: string): void {
  if (knownName(policy, environment) === undefined) {
    throw new OpsError("NotFound", `unknown environment "${environment}"; known: ${knownNames(policy)}`, {
      details: { field: "environment" },
    });
  }
}

export const healthCheckList = defineProcedure({
  name: "health-checks list",
  summary: "List an environment's health check runs, newest first",
  input: z
    .object({
      environment: name.default("prod").describe("environment from the ops policy"),
      limit: z.number().int().min(1).max(500).default(20).describe("how many runs (1 to 500)"),
      status: z.enum(statuses).optional().describe("only runs with this status"),
    })
    .strict(),
  ports: ["runHistory"],
  async run(ports, input, context) {
    environmentOf(context.policy.environments, input.environment);
    const runs: HealthRunSummary[] = [];
    for await (const run of ports.runHistory.listRuns(HEALTH_HISTORY, input.environment, {
      abortSignal: context.abortSignal,
    })) {
      if (input.status && run.status !== input.status) continue;
      runs.push({
        runId: run.runId,
        environment: run.scope,
        trigger: run.trigger,
        status: run.status,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        componentCount: Number(run.facts.componentCount ?? 0),
        notified: run.facts.notified === true,
      });
      if (runs.length >= input.limit) break;
    }
    return { environment: input.environment, runs };
  },
  table: ({ runs }) =>
    runs.length === 0
      ? "No health check runs.\n"
      : `${renderTable([
          ["RUN", "STATUS", "TRIGGER", "STARTED (UTC)", "COMPONENTS", "NOTIFIED"],
          ...runs.map((r) => [
            r.runId,
            r.status.toUpperCase(),
            r.trigger,
            r.startedAt.slice(0, 19).replace("T", " "),
            String(r.componentCount),
            r.notified ? "yes" : "no",
          ]),
        ]).join("\n")}\n`,
  changesEstate: false,
  http: { method: "GET", route: "health-checks", auth: "Ops.Reader" },
});

export const healthCheckShow = defineProcedure({
  name: "health-checks show",
  summary: "Show one health check run whole",
  input: z
    .object({
      environment: name.describe("environment from the ops policy"),
      runId: z
        .string()
        .regex(/^[\w-]{1,80}$/, "not a run id")
        .describe("the run's id"),
    })
    .strict(),
  ports: ["runHistory"],
  async run(ports, input, context) {
    environmentOf(context.policy.environments, input.environment);
    const report = (await ports.runHistory.getRun(HEALTH_HISTORY, input.environment, input.runId, {
      abortSignal: context.abortSignal,
    })) as HealthReport | undefined;
    if (!report) {
      throw new OpsError("NotFound", `no health check ${input.runId} in ${input.environment}`, {
        details: { field: "runId" },
      });
    }
    return report;
  },
  status: (report) => report.status,
  table: renderHealthTable,
  changesEstate: false,
  http: { method: "GET", route: "health-checks/{environment}/{runId}", auth: "Ops.Reader" },
  cli: { positionals: ["environment", "runId"] },
});
