import { z } from "zod";
import { defineProcedure } from "../../procedures/declaration.ts";
import { productionSlot } from "../../ports/web-app-slots.ts";
import { queueNames } from "../../ports/work-queue.ts";
import { runHealthCheck } from "../health-check/operation.ts";
import { badRequest, siteTarget } from "./common.ts";
import { renderEnd, renderReleases, renderStatus, renderSwap, renderWindow } from "./render.ts";
import { type RollbackOutcome, emergencyRollback, listReleases, recordRelease } from "./releases.ts";
import { type SwapOutcome, checkSlots, swapWithVerification } from "./swap.ts";
import { endWindow, startWindow, windowPlannedEnd, windowStatus } from "./windows.ts";
import { OpsError } from "../../errors.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import type { MaintenancePorts } from "./common.ts";

const windowPorts = ["maintenance", "changes", "outbox", "queue"] as const;
const swapPorts = [
  "slots",
  "maintenance",
  "releases",
  "probe",
  "metrics",
  "changes",
  "incidents",
  "alerts",
  "outbox",
  "diagnostics",
  "queue",
  "alertIntake",
  "email",
] as const;

const environment = z.string().min(1).max(80);
const siteName = z.string().min(1).max(60).describe("the web app ($APP_NAME)");
const resourceGroup = z.string().min(1).max(90).describe("its resource group ($RESOURCE_GROUP)");
const slotName = z.string().regex(/^[A-Za-z0-9-]{1,59}$/, "a slot name (letters, digits, -)");
const incidentId = z.string().regex(/^INC-[\w-]{1,80}$/, "not an incident id");

/** The guide's `maintenance.sh start --notification true --window-duration 120`. */
export const maintenanceStart = defineProcedure({
  name: "maintenance start",
  summary: "Open a maintenance window: alerts in it are recorded and suppressed (maintenance.sh start)",
  description:
    "The window ends by itself at its planned end (a delayed message), or with `maintenance end`. --notification true tells the environment's recipients when it starts and ends.",
  input: z
    .object({
      environment: environment.default("prod").describe("environment from the ops policy"),
      notification: z
        .boolean()
        .default(false)
        .describe("email the environment's recipients (start, planned end, who)"),
      windowDuration: z.number().int().describe("the window's length in minutes"),
    })
    .strict(),
  ports: windowPorts,
  run: (ports, input, context) => startWindow(ports, context, input),
  table: renderWindow,
  // It changes no resource, but it is a change of how the estate is watched: --reason, --dry-run and
  // --key come from change control's options, and it is in the audit trail.
  changesEstate: true,
  http: { method: "POST", route: "maintenance", auth: "Ops.Operator", status: 201 },
});

export const maintenanceStatus = defineProcedure({
  name: "maintenance status",
  summary: "Open and scheduled maintenance windows (run time and the policy's)",
  input: z.object({ environment: environment.optional().describe("only this environment") }).strict(),
  ports: ["maintenance"],
  run: (ports, input, context) => windowStatus(ports, context, input),
  table: renderStatus,
  changesEstate: false,
  http: { method: "GET", route: "maintenance", auth: "Ops.Reader" },
});

/** The guide's `maintenance.sh end --verification true`. */
export const maintenanceEnd = defineProcedure({
  name: "maintenance end",
  summary:
    "Close the maintenance window, after verifying every component with --verification true (maintenance.sh end)",
  description:
    "With --verification true the health check runs on every component of the environment first; when it fails (critical or unknown) the window stays open, an incident is opened and the emergency rollback of the failing web apps starts or is proposed (maintenance.rollback in the policy). Exit 2 then.",
  input: z
    .object({
      environment: environment.default("prod").describe("environment from the ops policy"),
      verification: z.boolean().default(false).describe("verify every component first"),
      window: z
        .string()
        .regex(/^MW-[\w-]{1,80}$/, "not a window id")
        .optional()
        .describe("the window (default: the environment's open one)"),
    })
    .strict(),
  ports: [...swapPorts, "inventory", "runHistory"],
  run: (ports, input, context) =>
    endWindow(ports, context, input, (env) =>
      runHealthCheck(ports, { environment: env, notify: false, record: true }, context),
    ),
  status: (end) => (end.ended ? "ok" : "critical"),
  table: renderEnd,
  changesEstate: false,
  http: { method: "POST", route: "maintenance/end", auth: "Ops.Operator" },
});

/** A window's planned end: the delayed message its start queued. */
export const maintenanceWindowEnd = defineProcedure({
  name: "maintenance window-end",
  summary: "Ends a maintenance window at its planned end",
  input: z.object({ windowId: z.string().min(1).max(100) }).strict(),
  ports: windowPorts,
  run: (ports, input, context) => windowPlannedEnd(ports, context, input),
  changesEstate: false,
  queue: { name: "maintenance-window-end", queue: queueNames.maintenance },
  cli: { hidden: true },
});

const swapInput = z
  .object({
    name: siteName,
    resourceGroup,
    slot: slotName.default("staging").describe("the slot to swap in (--slot staging)"),
    targetSlot: slotName
      .default(productionSlot)
      .describe("the slot it takes the place of (--target-slot production)"),
    skipValidation: z
      .boolean()
      .default(false)
      .describe(
        "skip the warm-up settings and the staging check (the guide's emergency flag; the audit says so)",
      ),
  })
  .strict();

async function runSwap(
  ports: MaintenancePorts,
  input: z.output<typeof swapInput>,
  context: RunContext,
): Promise<SwapOutcome> {
  checkSlots(input.slot, input.targetSlot);
  const site = siteTarget(context.policy, input.name, input.resourceGroup);
  const options = { abortSignal: context.abortSignal };
  const slots = await ports.slots.listSlots(site.subscriptionId, site.resourceGroup, site.siteName, options);
  if (!slots) {
    throw new OpsError("NotFound", `no web app "${input.name}" in resource group ${input.resourceGroup}`, {
      details: { field: "name" },
    });
  }
  for (const [field, slot] of [
    ["slot", input.slot],
    ["targetSlot", input.targetSlot],
  ] as const) {
    if (slot.toLowerCase() !== productionSlot && !slots.some((s) => s.toLowerCase() === slot.toLowerCase())) {
      throw new OpsError(
        "NotFound",
        `${input.name} has no slot "${slot}"; it has: ${[productionSlot, ...slots].join(", ")}`,
        {
          details: { field },
        },
      );
    }
  }
  const other = input.slot.toLowerCase() === productionSlot ? input.targetSlot : input.slot;
  const bucket = Math.floor(context.clock.now().getTime() / 600_000);
  return swapWithVerification(ports, context, site, {
    via: "swap",
    slot: other,
    targetSlot: productionSlot,
    skipValidation: input.skipValidation,
    naturalKey: `swap|${site.siteId.toLowerCase()}|${other.toLowerCase()}|${bucket}`,
    action: `swap ${other} → production`,
    defaultReason: `planned swap of ${other} into production`,
    asked: {
      site: site.siteId.toLowerCase(),
      slot: other.toLowerCase(),
      skipValidation: input.skipValidation,
    },
  });
}

const swapStatus = (o: SwapOutcome) =>
  o.decision === "kept" || o.decision === "dry-run"
    ? o.verification && o.verification.status !== "passed"
      ? "warning"
      : "ok"
    : o.decision === "swapped-back" || o.decision === "not-swapped"
      ? o.change.status === "failed"
        ? "critical"
        : "warning"
      : "critical";

/** The guide's `az webapp deployment slot swap … --slot staging --target-slot production`, verified. */
export const maintenanceSwap = defineProcedure({
  name: "maintenance swap",
  summary:
    "Swap a slot into production with warm-up and verification; swaps back by itself when production is worse",
  description: `Before: the staging slot gets the policy's warm-up slot settings (WEBSITE_SWAP_WARMUP_PING_PATH/STATUSES) and is checked healthy.
Swap: POST slotsswap, followed to its end (another operation's 409 is waited out). After: production is watched
for maintenance.verificationSeconds (health URL, the version now live, 5xx rate, response time); when it is worse
than before the swap, the same swap runs again (the swap-back), an incident opens and the team is told.
Exit 0 kept, 1 swapped back or blocked, 2 failed or not restored.`,
  input: swapInput,
  ports: swapPorts,
  run: runSwap,
  status: swapStatus,
  table: renderSwap,
  changesEstate: true,
  http: { method: "POST", route: "swaps", auth: "Ops.Operator" },
  queue: { name: "swaps-process", queue: queueNames.swaps },
});

/** The same swap under az's own command name, with az's flags. */
export const webappSlotSwap = defineProcedure({
  ...maintenanceSwap,
  name: "webapp deployment slot swap",
  summary:
    "az webapp deployment slot swap, with warm-up, verification and automatic swap-back (= maintenance swap)",
  http: { method: "POST", route: "sites/{name}/slotsswap", auth: "Ops.Operator" },
  queue: undefined,
});

/** The guide's `emergency-rollback.sh --version $LAST_GOOD_VERSION --skip-validation true`. */
export const emergencyRollbackProcedure = defineProcedure({
  name: "emergency-rollback",
  summary:
    "Roll a web app back to a version (the last known good by default): staged, warmed up, swapped in, verified",
  description: `The version's package comes from the release ledger. Without a staging slot production is repointed
directly (the app restarts). A version that never passed verification needs --force and --reason; a package
that no longer exists is refused. --dry-run prints the plan.`,
  input: z
    .object({
      name: siteName,
      resourceGroup,
      version: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .describe("the version ($LAST_GOOD_VERSION; default: the last known good)"),
      skipValidation: z.boolean().default(false).describe("skip the warm-up check of the staged version"),
      incident: incidentId.optional().describe("the incident this rollback is for: its history lists it"),
    })
    .strict(),
  ports: swapPorts,
  run: (ports, input, context): Promise<RollbackOutcome> => emergencyRollback(ports, context, input),
  status: swapStatus,
  table: (o: RollbackOutcome) =>
    `Rollback to ${o.version}${o.lastKnownGood ? " (last known good)" : ""}${o.direct ? ", production repointed directly" : ""}\n${renderSwap(o)}`,
  changesEstate: true,
  http: { method: "POST", route: "rollbacks", auth: "Ops.Operator" },
  queue: { name: "rollbacks-process", queue: queueNames.rollbacks },
});

export const releasesList = defineProcedure({
  name: "releases list",
  summary:
    "The release ledger: every version that went live, its package and verification; the last known good",
  input: z
    .object({
      name: siteName.optional(),
      resourceGroup: resourceGroup.optional(),
      limit: z.number().int().min(1).max(500).default(50),
    })
    .strict(),
  ports: ["releases", "slots"],
  run: (ports, input, context) => listReleases(ports, context, input),
  table: renderReleases,
  changesEstate: false,
  http: { method: "GET", route: "releases", auth: "Ops.Reader" },
});

/** What a deployment pipeline calls after it deploys a version (to staging, usually). */
export const releasesRecord = defineProcedure({
  name: "releases record",
  summary: "Record a version a pipeline deployed (to staging, or live), with its immutable package",
  input: z
    .object({
      name: siteName,
      resourceGroup,
      version: z.string().regex(/^[\w.+-]{1,100}$/, "a version such as 2.4.0"),
      package: z
        .string()
        .max(2000)
        .refine((p) => /^https:\/\/\S+$/i.test(p) || /@sha256:[0-9a-f]{64}$/.test(p), {
          message: "a versioned package URL (https://…) or a container image by digest (…@sha256:…)",
        })
        .describe("the WEBSITE_RUN_FROM_PACKAGE URL of a versioned blob, or an image by digest"),
      slot: slotName.default("staging").describe("where it was deployed"),
      verification: z
        .enum(["passed", "failed"])
        .optional()
        .describe("the pipeline's own verification, if any"),
    })
    .strict(),
  ports: ["releases", "slots"],
  run: (ports, input, context) => {
    if (input.package.includes("?"))
      throw badRequest("the package URL must not carry a query (a SAS token is a secret)", "package");
    return recordRelease(ports, context, input);
  },
  changesEstate: false,
  http: { method: "POST", route: "releases", auth: "Ops.Operator", status: 201 },
});
