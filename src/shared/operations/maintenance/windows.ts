import type { MaintenanceWindow } from "../../config/policy.ts";
import { ncrontab } from "../../config/ncrontab.ts";
import { OpsError } from "../../errors.ts";
import { knownName, knownNames } from "../../names.ts";
import type { MaintenanceWindowRecord } from "../../ports/maintenance-windows.ts";
import { queueNames } from "../../ports/work-queue.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import type { HealthReport } from "../health-check/report.ts";
import {
  type MaintenancePorts,
  auditStep,
  badRequest,
  newWindowId,
  openMaintenanceIncident,
  siteTarget,
  tellTeam,
} from "./common.ts";
import { lastKnownGood } from "./releases.ts";

const resourceGroupId = (subscriptionId: string, resourceGroup: string) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
import { proposeOrRollBack } from "./swap.ts";

type WindowPorts = Pick<MaintenancePorts, "maintenance" | "changes" | "outbox" | "queue">;

function environmentNamed(context: RunContext, name: string) {
  const env = knownName(context.policy.environments, name);
  if (!env) {
    throw new OpsError(
      "NotFound",
      `unknown environment "${name}"; known: ${knownNames(context.policy.environments)}`,
      {
        details: { field: "environment" },
      },
    );
  }
  return env;
}

/** The guide's `maintenance.sh start --notification true --window-duration 120`. */
export async function startWindow(
  ports: WindowPorts,
  context: RunContext,
  input: { environment: string; notification: boolean; windowDuration: number },
): Promise<MaintenanceWindowRecord> {
  const change = context.change?.options;
  const env = environmentNamed(context, input.environment);
  const max = context.policy.maintenance.maxWindowMinutes;
  if (input.windowDuration < 1 || input.windowDuration > max) {
    throw badRequest(
      `--window-duration must be 1 to ${max} minutes (maintenance.maxWindowMinutes), not ${input.windowDuration}`,
      "windowDuration",
    );
  }
  const options = { abortSignal: context.abortSignal };
  const open = await ports.maintenance.listOpen({ ...options, environment: input.environment });
  if (open[0]) {
    throw new OpsError(
      "Conflict",
      `maintenance window ${open[0].id} is already open in ${input.environment} (until ${open[0].plannedEnd}); end it first`,
      {
        details: { field: "environment", windowId: open[0].id },
      },
    );
  }
  const now = context.clock.now();
  const window: MaintenanceWindowRecord = {
    id: newWindowId(now),
    environment: input.environment,
    status: "open",
    startedAt: now.toISOString(),
    plannedEnd: new Date(now.getTime() + input.windowDuration * 60_000).toISOString(),
    endedAt: null,
    openedBy: context.actor,
    endedBy: null,
    reason: change?.reason ?? "planned maintenance",
    notification: input.notification,
    endNote: null,
    verification: null,
  };
  if (change?.dryRun) return { ...window, endNote: "dry run: no window was opened" };
  await ports.maintenance.create(window, options);
  // The window ends by itself: a delayed message, so it survives restarts and scale-out.
  await ports.queue.send(
    queueNames.maintenance,
    { windowId: window.id },
    { delayInSeconds: input.windowDuration * 60 },
  );
  await auditStep(ports, context, {
    key: `maintenance|${window.id}|start`,
    procedure: "maintenance start",
    environment: input.environment,
    resourceId: resourceGroupId(env.subscriptionId, env.resourceGroup),
    action: "maintenance window start",
    summary: `maintenance window ${window.id} opened in ${input.environment} until ${window.plannedEnd} (${input.windowDuration} min): alerts are recorded and suppressed`,
    reason: window.reason,
    after: window,
  });
  if (input.notification) {
    await tellTeam(ports, context, {
      id: `${window.id}|start`,
      subject: `Maintenance window started in ${input.environment} (until ${window.plannedEnd})`,
      to: env.recipients,
      facts: [
        ["Window", window.id],
        ["Environment", input.environment],
        ["Started", window.startedAt],
        ["Planned end", window.plannedEnd],
        ["Opened by", window.openedBy],
        ["Reason", window.reason],
        ["Effect", "alerts are recorded and nobody is paged until the window ends"],
      ],
    });
  }
  return window;
}

export interface WindowStatus {
  open: (MaintenanceWindowRecord & { source: "run time" })[];
  policy: {
    name: string;
    environment: string | null;
    state: "open" | "scheduled";
    start: string;
    end: string;
  }[];
}

/** Open windows (opened at run time, and the policy's that are open now) and the policy's next ones. */
export async function windowStatus(
  ports: Pick<MaintenancePorts, "maintenance">,
  context: RunContext,
  input: { environment?: string | undefined },
): Promise<WindowStatus> {
  if (input.environment !== undefined) environmentNamed(context, input.environment);
  const open = await ports.maintenance.listOpen({
    abortSignal: context.abortSignal,
    environment: input.environment,
  });
  const now = context.clock.now();
  const policy = context.policy.maintenanceWindows
    .filter(
      (w) =>
        input.environment === undefined || w.environment === undefined || w.environment === input.environment,
    )
    .map((w) => policyWindowState(w, now))
    .filter((w): w is NonNullable<typeof w> => w !== undefined);
  return { open: open.map((w) => ({ ...w, source: "run time" as const })), policy };
}

function policyWindowState(window: MaintenanceWindow, now: Date): WindowStatus["policy"][number] | undefined {
  const base = { name: window.name, environment: window.environment ?? null };
  if (window.start && window.end) {
    if (Date.parse(window.end) <= now.getTime()) return undefined;
    return {
      ...base,
      state: Date.parse(window.start) <= now.getTime() ? "open" : "scheduled",
      start: window.start,
      end: window.end,
    };
  }
  if (window.schedule && window.durationMinutes) {
    const duration = window.durationMinutes * 60_000;
    const start = ncrontab(window.schedule).nextRun(new Date(now.getTime() - duration));
    if (!start) return undefined;
    return {
      ...base,
      state: start.getTime() <= now.getTime() ? "open" : "scheduled",
      start: start.toISOString(),
      end: new Date(start.getTime() + duration).toISOString(),
    };
  }
  return undefined;
}

export interface WindowEnd {
  window: MaintenanceWindowRecord;
  ended: boolean;
  verification: HealthReport | null;
  incident: string | null;
  rollback: { site: string; outcome: "queued" | "proposed" }[];
}

/**
 * The guide's `maintenance.sh end --verification true`: with verification, the health check runs on
 * every component of the environment first; a failed (or unknown) verification keeps the window open,
 * tells the team, and starts (or proposes) the emergency rollback of the environment's web apps.
 */
export async function endWindow(
  ports: MaintenancePorts,
  context: RunContext,
  input: { environment: string; verification: boolean; window?: string | undefined },
  healthCheck: (environment: string) => Promise<HealthReport>,
): Promise<WindowEnd> {
  const env = environmentNamed(context, input.environment);
  const options = { abortSignal: context.abortSignal };
  const open = await ports.maintenance.listOpen({ ...options, environment: input.environment });
  const window = input.window ? open.find((w) => w.id === input.window) : open[0];
  if (!window) {
    const known = input.window ? await ports.maintenance.get(input.window, options) : undefined;
    throw new OpsError(
      "BadRequest",
      known
        ? `maintenance window ${known.id} is not open (it ${known.status} at ${known.endedAt ?? "?"})`
        : input.window
          ? `no maintenance window ${input.window}`
          : `no maintenance window is open in ${input.environment}`,
      { details: { field: input.window ? "window" : "environment" } },
    );
  }
  const resourceId = resourceGroupId(env.subscriptionId, env.resourceGroup);
  let report: HealthReport | null = null;
  if (input.verification) {
    report = await healthCheck(input.environment);
    const passed = report.status === "ok" || report.status === "warning";
    const summary = `health check ${report.runId}: ${report.status}`;
    await ports.maintenance.update(
      window.id,
      (current) => ({
        ...current,
        verification: {
          status: passed ? "passed" : "failed",
          summary,
          at: context.clock.now().toISOString(),
        },
      }),
      options,
    );
    await auditStep(ports, context, {
      key: `maintenance|${window.id}|verification|${report.runId}`,
      procedure: "maintenance end",
      environment: input.environment,
      resourceId,
      action: "maintenance verification",
      summary: `verification of ${input.environment} before ending ${window.id}: ${report.status}${passed ? "" : "; the window stays open"}`,
      reason: "maintenance end --verification true",
      status: passed ? "succeeded" : "failed",
      ...(passed ? {} : { error: summary }),
    });
    if (!passed) {
      const failing = report.components.filter((c) => c.status === "critical" || c.status === "unknown");
      const incident = await openMaintenanceIncident(ports, context, {
        key: `maintenance|${window.id}|verification|${report.runId}`,
        title: `Maintenance ${window.id}: verification of ${input.environment} failed`,
        description: `the window stays open: ${failing.map((c) => `${c.name} ${c.status}`).join(", ") || report.status}`,
        environment: input.environment,
        target: resourceId,
        priority: "high",
        history: failing.map((c) => `${c.name}: ${c.status}`),
      });
      const rollback: WindowEnd["rollback"] = [];
      for (const component of failing) {
        const policy = knownName(env.components, component.name);
        if (!policy || policy.kind === "database") continue;
        const siteName = policy.resourceId.split("/").pop() ?? "";
        const site = siteTarget(context.policy, siteName, env.resourceGroup);
        const entries = await ports.releases.list({ ...options, siteId: site.siteId, limit: 500 });
        const live = entries.find((e) => e.kind === "live")?.version ?? null;
        if (
          !lastKnownGood(entries, live, context.policy.maintenance.lastKnownGoodMinutes, context.clock.now())
        )
          continue;
        rollback.push({
          site: siteName,
          outcome: await proposeOrRollBack(
            ports,
            context,
            site,
            incident.id,
            `maintenance verification of ${component.name} failed`,
          ),
        });
      }
      return { window, ended: false, verification: report, incident: incident.id, rollback };
    }
  }
  const ended = await closeWindow(ports, context, window.id, "ended by operator");
  return {
    window: ended ?? window,
    ended: ended !== undefined,
    verification: report,
    incident: null,
    rollback: [],
  };
}

/** Closes a window once (its ETag guards the update); answers undefined when it was not open. */
async function closeWindow(
  ports: Pick<MaintenancePorts, "maintenance" | "changes" | "outbox" | "queue">,
  context: RunContext,
  windowId: string,
  note: string,
): Promise<MaintenanceWindowRecord | undefined> {
  const now = context.clock.now().toISOString();
  let closedHere = false;
  const window = await ports.maintenance.update(
    windowId,
    (current) => {
      if (current.status !== "open") return undefined;
      closedHere = true;
      return { ...current, status: "ended", endedAt: now, endedBy: context.actor, endNote: note };
    },
    { abortSignal: context.abortSignal },
  );
  if (!closedHere) return undefined;
  const env = knownName(context.policy.environments, window.environment);
  await auditStep(ports, context, {
    key: `maintenance|${window.id}|end`,
    procedure: "maintenance end",
    environment: window.environment,
    resourceId: env ? resourceGroupId(env.subscriptionId, env.resourceGroup) : window.environment,
    action: "maintenance window end",
    summary: `maintenance window ${window.id} in ${window.environment} ${note} at ${now}${window.verification ? ` (verification ${window.verification.status})` : ""}`,
    reason: note,
    after: window,
  });
  if (window.notification && env) {
    await tellTeam(ports, context, {
      id: `${window.id}|end`,
      subject: `Maintenance window ${note} in ${window.environment}`,
      to: env.recipients,
      facts: [
        ["Window", window.id],
        ["Environment", window.environment],
        ["Started", window.startedAt],
        ["Ended", now],
        ["How", note],
        ...(window.verification
          ? ([["Verification", `${window.verification.status}: ${window.verification.summary}`]] as [
              string,
              string,
            ][])
          : []),
      ],
    });
  }
  return window;
}

/** The delayed message at a window's planned end: the window ends by itself, and says so. */
export async function windowPlannedEnd(
  ports: Pick<MaintenancePorts, "maintenance" | "changes" | "outbox" | "queue">,
  context: RunContext,
  input: { windowId: string },
): Promise<string> {
  const options = { abortSignal: context.abortSignal };
  const window = await ports.maintenance.get(input.windowId, options);
  if (!window) return "no such window";
  if (window.status !== "open") return `already ${window.status}`;
  const left = Date.parse(window.plannedEnd) - context.clock.now().getTime();
  if (left > 1000) {
    await ports.queue.send(
      queueNames.maintenance,
      { windowId: window.id },
      { delayInSeconds: Math.ceil(left / 1000) },
    );
    return `not yet: ${Math.ceil(left / 1000)} s left`;
  }
  const closed = await closeWindow(ports, context, window.id, "ended by itself at its planned end");
  return closed ? "ended" : "already ended";
}
