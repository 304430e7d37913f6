import { z } from "zod";
import { canonicalSku } from "../app-service-skus.ts";
import { metricsOfType, resourceTypeOf } from "../azure-metrics.ts";
import { isoDurationPattern } from "../durations.ts";
import { ncrontab } from "./ncrontab.ts";

/**
 * The ops policy: what the estate is and how the procedures judge it. One JSON file in config/,
 * validated here; its JSON Schema (config/ops-policy.schema.json) is generated from this module.
 */

const resourceId = z
  .string()
  .regex(
    /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+/i,
    "must be a full Azure resource id (/subscriptions/…/resourceGroups/…/providers/…)",
  );

/**
 * A threshold pair. A value breaches a limit when it is strictly beyond it: above it for "above" (latency,
 * errors: warning 0 means any error warns), below it for "below" (success rate).
 */
export const thresholdSchema = z
  .object({
    warning: z.number(),
    critical: z.number(),
    direction: z.enum(["above", "below"]).default("above"),
  })
  .strict()
  .refine((t) => (t.direction === "above" ? t.critical >= t.warning : t.critical <= t.warning), {
    message: "critical must be at least as severe as warning",
  });
export type Threshold = z.infer<typeof thresholdSchema>;

const webThresholds = z
  .object({
    responseTimeMs: thresholdSchema,
    errorRatePercent: thresholdSchema,
    probeTimeMs: thresholdSchema,
  })
  .strict();

const apiThresholds = z
  .object({
    latencyMs: thresholdSchema,
    successRatePercent: thresholdSchema,
    probeTimeMs: thresholdSchema,
  })
  .strict();

const databaseThresholds = z
  .object({
    connectionPoolPercent: thresholdSchema,
    failedConnections: thresholdSchema,
    cpuPercent: thresholdSchema,
    deadlocks: thresholdSchema,
  })
  .strict();

export const thresholdsSchema = z
  .object({ webapp: webThresholds, api: apiThresholds, database: databaseThresholds })
  .strict();
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const componentKinds = ["webapp", "api", "database"] as const;
export type ComponentKind = (typeof componentKinds)[number];

const componentSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("webapp"),
      resourceId,
      healthUrl: z.url({ protocol: /^https?$/ }).optional(),
      description: z.string().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("api"),
      resourceId,
      healthUrl: z.url({ protocol: /^https?$/ }).optional(),
      description: z.string().optional(),
    })
    .strict(),
  z.object({ kind: z.literal("database"), resourceId, description: z.string().optional() }).strict(),
]);
export type ComponentPolicy = z.infer<typeof componentSchema>;

const email = z.email();

const skuName = z
  .string()
  .refine((name) => canonicalSku(name) !== undefined, {
    message: "not an App Service plan SKU (e.g. P1V2, P2V2, S1)",
  })
  .transform((name) => canonicalSku(name) ?? name);

/**
 * What emergency scaling may do to an environment's App Service plan: the SKUs it may take, smallest
 * first (scale-up climbs this ladder; the first is the floor, the last the cap), and the instance range.
 * An environment without it is never scaled.
 */
const scalingSchema = z
  .object({
    skus: z
      .array(skuName)
      .min(1)
      .describe(
        "The plan SKUs allowed, smallest first: the ladder scale-up climbs, from its floor to its cap",
      ),
    minInstances: z.number().int().min(1).max(100).default(1).describe("Never fewer instances than this"),
    maxInstances: z.number().int().min(1).max(100).default(10).describe("Never more instances than this"),
  })
  .strict()
  .refine((s) => s.minInstances <= s.maxInstances, {
    message: "minInstances must not be above maxInstances",
    path: ["minInstances"],
  })
  .refine((s) => new Set(s.skus).size === s.skus.length, {
    message: "a SKU is listed twice",
    path: ["skus"],
  });
export type ScalingPolicy = z.infer<typeof scalingSchema>;

/** A backup period or retention: weeks, days, hours or minutes (P12W, P30D, PT1H), as the guide's table states them. */
export const backupDurationPattern = /^P(?:(\d+)W|(\d+)D|T(\d+)H|T(\d+)M)$/;
const backupDuration = z.string().regex(backupDurationPattern, "must be a duration such as P12W, P30D, PT1H");

/** What one backup type must show: a restore point at most `every` old, kept at least `retention`. */
const backupExpectation = z
  .object({
    every: backupDuration.describe("The newest backup of this type is at most this old"),
    retention: backupDuration.describe("Backups of this type are kept at least this long"),
  })
  .strict();

/** The guide's schedule table; each type may be switched off with null. */
const backupScheduleSchema = z
  .object({
    full: backupExpectation.nullable().optional(),
    differential: backupExpectation.nullable().optional(),
    log: backupExpectation.nullable().optional(),
  })
  .strict();
export type BackupSchedulePolicy = z.infer<typeof backupScheduleSchema>;

/** An environment's backups: the Recovery Services vaults to verify, and overrides of the schedule. */
const environmentBackupsSchema = z
  .object({
    vaults: z
      .array(resourceId)
      .min(1)
      .describe("Recovery Services vaults whose protected items are verified"),
    schedule: backupScheduleSchema.optional().describe("Overrides of the schedule for this environment"),
    items: z
      .record(z.string().min(1), backupScheduleSchema)
      .optional()
      .describe("Overrides per protected item (by its friendly name)"),
  })
  .strict();

const environmentSchema = z
  .object({
    subscriptionId: z.uuid(),
    resourceGroup: z.string().min(1),
    region: z.string().min(1).describe("Azure region of the environment's resources, e.g. westeurope"),
    logAnalyticsWorkspaceId: z
      .uuid()
      .optional()
      .describe("The Log Analytics workspace's id (its customer id)"),
    logAnalyticsWorkspaceName: z
      .string()
      .min(1)
      .optional()
      .describe("The workspace's name, as `az monitor log-analytics query --workspace-name` takes it"),
    components: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "component names are lowercase kebab-case"),
        componentSchema,
      )
      .refine((c) => Object.keys(c).length > 0, { message: "an environment needs at least one component" }),
    recipients: z.array(email).min(1).describe("Who is told when a procedure finds a problem"),
    appServicePlan: resourceId.optional().describe("The App Service plan the environment's sites run on"),
    scaling: scalingSchema.optional(),
    backups: environmentBackupsSchema.optional(),
  })
  .strict();
export type EnvironmentPolicy = z.infer<typeof environmentSchema>;

const durationIso = z.string().regex(isoDurationPattern, "must be an ISO 8601 duration such as PT5M");

/**
 * The guide's alertRules block, accepted as written. Alerts whose rule name matches are routed to the
 * rule's recipients; `escalationPolicy` names a policy below.
 */
const alertRuleSchema = z
  .object({
    name: z.string().min(1),
    threshold: z.number().optional(),
    window: durationIso.optional(),
    action: z.object({ type: z.literal("email"), recipients: z.array(email).min(1) }).strict(),
    escalationPolicy: z.string().min(1).optional(),
    /** With a metric and a target the rule stands for an Azure Monitor metric alert rule; without, it routes only. */
    metric: z.string().min(1).optional().describe("The platform metric the rule watches, e.g. CpuPercentage"),
    target: z
      .object({
        environment: z.string().min(1),
        resource: z
          .string()
          .min(1)
          .describe('"plan" (the environment\'s App Service plan) or a component name'),
      })
      .strict()
      .optional(),
    operator: z
      .enum(["GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"])
      .default("GreaterThan"),
    aggregation: z.enum(["Average", "Maximum", "Minimum", "Total", "Count"]).default("Average"),
    severity: z.number().int().min(0).max(4).default(2).describe("Azure Monitor severity, Sev0 to Sev4"),
    scale: z
      .object({
        up: z
          .boolean()
          .default(false)
          .describe("Scale the plan up to the next SKU of its environment's ladder"),
        out: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(0)
          .describe("Add this many instances (up to the maximum)"),
        back: z
          .enum(["auto", "manual"])
          .default("auto")
          .describe("When the incident resolves: scale back by itself, or leave it to an operator"),
        stabilisationMinutes: z
          .number()
          .int()
          .min(0)
          .max(1440)
          .default(15)
          .describe("How long after resolution the plan must stay calm before it is scaled back"),
      })
      .strict()
      .refine((s) => s.up || s.out > 0, { message: "a scaling action scales up, out, or both" })
      .optional()
      .describe("Emergency scaling when the alert fires, through change control"),
  })
  .strict();
export type AlertRulePolicy = z.infer<typeof alertRuleSchema>;

const escalationPolicySchema = z
  .object({
    levels: z
      .array(
        z
          .object({
            recipients: z.array(email).min(1),
            minutesToAcknowledge: z
              .number()
              .positive()
              .max(10_080)
              .describe("Wait this long for an acknowledgement before the next level"),
          })
          .strict(),
      )
      .min(1),
    repeat: z.number().int().min(0).max(10).default(0).describe("How many more times the whole ladder runs"),
  })
  .strict();
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;

const maintenanceWindowSchema = z
  .object({
    name: z.string().min(1),
    /** The window covers an environment's resources, or only the listed resource ids or component names. */
    environment: z.string().optional(),
    resources: z.array(z.string().min(1)).optional(),
    start: z.iso.datetime({ offset: true }).optional().describe("One-off window: start (ISO 8601)"),
    end: z.iso.datetime({ offset: true }).optional().describe("One-off window: end (ISO 8601)"),
    schedule: z.string().optional().describe("Recurring window: 6-field NCRONTAB start time, UTC"),
    durationMinutes: z.number().int().positive().max(10_080).optional(),
  })
  .strict()
  .refine(
    (w) =>
      (w.start !== undefined && w.end !== undefined) !==
      (w.schedule !== undefined && w.durationMinutes !== undefined),
    {
      message: "give either start and end (one-off) or schedule and durationMinutes (recurring)",
    },
  )
  .refine((w) => w.start === undefined || w.end === undefined || Date.parse(w.start) < Date.parse(w.end), {
    message: "end must be after start",
  })
  .refine((w) => w.environment !== undefined || (w.resources?.length ?? 0) > 0, {
    message: "a window needs an environment or resources",
  });
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

const incidentsSchema = z
  .object({
    /** Recipients for alerts that match no rule and no environment. */
    defaultRecipients: z.array(email).min(1),
    defaultEscalationPolicy: z.string().optional(),
    /** Email limits of Communication Services on a custom domain. */
    maxEmailsPerMinute: z.number().int().min(1).default(30),
    maxEmailsPerHour: z.number().int().min(1).default(100),
    /** When more incidents than this open within a minute, one digest replaces their individual emails. */
    digestThreshold: z.number().int().min(2).default(5),
    /** How much alert history one incident keeps in full. */
    maxAlertsPerIncident: z.number().int().min(10).default(500),
  })
  .strict();

const changeControlSchema = z
  .object({
    freeze: z
      .object({
        all: z.boolean().default(false).describe("Freeze every environment"),
        environments: z
          .array(z.string().min(1))
          .default([])
          .describe("Environments whose changes are frozen"),
        reason: z.string().optional(),
      })
      .strict()
      .default({ all: false, environments: [] }),
    cooldownMinutes: z
      .number()
      .int()
      .min(0)
      .max(1440)
      .default(10)
      .describe("Between two changes of one resource"),
    maxChangesPerHour: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(4)
      .describe("Changes of one resource an hour"),
    leaseSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(300)
      .describe("How long a change may hold its resource before another instance may take it"),
  })
  .strict();

/**
 * Planned maintenance and emergency rollback: windows opened at run time, the staging → production swap
 * with warm-up and verification, and what "last known good" means.
 */
export const maintenanceSchema = z
  .object({
    maxWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(480)
      .describe("The longest window `maintenance start --window-duration` may open"),
    warmupPingPath: z
      .string()
      .regex(/^\/[\w./-]*$/, "a path such as /health")
      .default("/health")
      .describe("WEBSITE_SWAP_WARMUP_PING_PATH, set on the staging slot as a slot setting before a swap"),
    warmupPingStatuses: z
      .string()
      .regex(/^\d{3}(,\d{3})*$/, "status codes such as 200,202")
      .default("200,202")
      .describe("WEBSITE_SWAP_WARMUP_PING_STATUSES, set with the path"),
    versionPath: z
      .string()
      .min(1)
      .default("version")
      .describe("Where a site tells the version it runs, relative to its health URL"),
    verificationSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(120)
      .describe("How long production is watched after a swap before it is judged"),
    verificationProbes: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(6)
      .describe("How many times the health and version URLs are probed over that window"),
    onUnknown: z
      .enum(["swap-back", "keep"])
      .default("swap-back")
      .describe("When verification cannot tell (metrics missing): swap back, or keep the new version"),
    rollback: z
      .enum(["automatic", "propose"])
      .default("propose")
      .describe(
        "After a failed verification that a swap-back cannot fix: roll back by itself, or propose it in the incident",
      ),
    lastKnownGoodMinutes: z
      .number()
      .int()
      .min(0)
      .max(10_080)
      .default(60)
      .describe("A version is last known good once it passed verification and stayed live this long"),
    conflictWaitSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(120)
      .describe("How long a swap waits out another operation on the site (409) before it gives up"),
    swapTimeoutSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(900)
      .describe("How long a swap's long-running operation may take before it counts as failed"),
    warmupSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(120)
      .describe(
        "How long a rollback waits for the staging slot to answer healthy on the version it was pointed at",
      ),
  })
  .strict();
export type MaintenancePolicy = z.infer<typeof maintenanceSchema>;

export const policySchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    environments: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "environment names are lowercase kebab-case"),
        environmentSchema,
      )
      .refine((e) => Object.keys(e).length > 0, { message: "at least one environment is required" }),
    thresholds: thresholdsSchema,
    healthCheck: z
      .object({
        hourUtc: z.number().int().min(0).max(23).describe("Hour of the day (UTC) of the daily run"),
        windowMinutes: z.number().int().min(5).max(1440).default(15),
        probeTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
        metricsConcurrency: z.number().int().min(1).max(64).default(8),
        probeConcurrency: z.number().int().min(1).max(512).default(64),
      })
      .strict(),
    alertRules: z.array(alertRuleSchema).default([]),
    escalationPolicies: z.record(z.string().min(1), escalationPolicySchema).default({}),
    maintenanceWindows: z.array(maintenanceWindowSchema).default([]),
    backups: z
      .object({
        hourUtc: z
          .number()
          .int()
          .min(0)
          .max(23)
          .default(7)
          .describe("Hour of the day (UTC) of the daily verification"),
        graceHours: z
          .number()
          .min(0)
          .max(72)
          .default(6)
          .describe(
            "How much later than its schedule a Full or Differential may be before it counts as missed",
          ),
        schedule: backupScheduleSchema
          .default({
            full: { every: "P7D", retention: "P12W" },
            differential: { every: "P1D", retention: "P30D" },
            log: { every: "PT1H", retention: "P7D" },
          })
          .describe(
            "The guide's schedule: Full weekly / 12 weeks, Differential daily / 30 days, logs hourly / 7 days",
          ),
        backupNowWaitMinutes: z
          .number()
          .int()
          .min(1)
          .max(240)
          .default(60)
          .describe("How long backup-now follows its job before it reports it still running"),
      })
      .strict()
      .default({
        hourUtc: 7,
        graceHours: 6,
        schedule: {
          full: { every: "P7D", retention: "P12W" },
          differential: { every: "P1D", retention: "P30D" },
          log: { every: "PT1H", retention: "P7D" },
        },
        backupNowWaitMinutes: 60,
      }),
    changeControl: changeControlSchema.default({
      freeze: { all: false, environments: [] },
      cooldownMinutes: 10,
      maxChangesPerHour: 4,
      leaseSeconds: 300,
    }),
    maintenance: maintenanceSchema.default(maintenanceSchema.parse({})),
    incidents: incidentsSchema.default({
      defaultRecipients: ["ops@phoenixvc.tech"],
      maxEmailsPerMinute: 30,
      maxEmailsPerHour: 100,
      digestThreshold: 5,
      maxAlertsPerIncident: 500,
    }),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const known = new Set(Object.keys(policy.escalationPolicies));
    policy.alertRules.forEach((rule, index) => {
      if (rule.escalationPolicy && !known.has(rule.escalationPolicy)) {
        ctx.addIssue({
          code: "custom",
          path: ["alertRules", index, "escalationPolicy"],
          message: `no escalation policy "${rule.escalationPolicy}"`,
        });
      }
    });
    if (policy.incidents.defaultEscalationPolicy && !known.has(policy.incidents.defaultEscalationPolicy)) {
      ctx.addIssue({
        code: "custom",
        path: ["incidents", "defaultEscalationPolicy"],
        message: `no escalation policy "${policy.incidents.defaultEscalationPolicy}"`,
      });
    }
    policy.alertRules.forEach((rule, index) => {
      for (const issue of alertRuleIssues(policy.environments, rule)) {
        ctx.addIssue({ code: "custom", path: ["alertRules", index, ...issue.path], message: issue.message });
      }
    });
    policy.alertRules.forEach((rule, index) => {
      if (!rule.scale) return;
      const env = rule.target ? policy.environments[rule.target.environment] : undefined;
      if (rule.target && Object.hasOwn(policy.environments, rule.target.environment) && !env?.scaling) {
        ctx.addIssue({
          code: "custom",
          path: ["alertRules", index, "scale"],
          message: `environment "${rule.target.environment}" has no scaling policy (environments.${rule.target.environment}.scaling)`,
        });
      }
    });
    policy.changeControl.freeze.environments.forEach((name, index) => {
      if (!Object.hasOwn(policy.environments, name)) {
        ctx.addIssue({
          code: "custom",
          path: ["changeControl", "freeze", "environments", index],
          message: `no environment "${name}"`,
        });
      }
    });
    policy.maintenanceWindows.forEach((window, index) => {
      if (window.schedule) {
        try {
          ncrontab(window.schedule);
        } catch (error) {
          ctx.addIssue({
            code: "custom",
            path: ["maintenanceWindows", index, "schedule"],
            message: `not a 6-field NCRONTAB expression: ${(error as Error).message}`,
          });
        }
      }
      if (window.environment && !Object.hasOwn(policy.environments, window.environment)) {
        ctx.addIssue({
          code: "custom",
          path: ["maintenanceWindows", index, "environment"],
          message: `no environment "${window.environment}"`,
        });
      }
    });
  });

export type OpsPolicy = z.infer<typeof policySchema>;
export type OpsPolicyInput = z.input<typeof policySchema>;

/** The resource an alert rule's target names: the environment's plan or one of its components. */
export function alertRuleTarget(
  environments: Readonly<Record<string, EnvironmentPolicy>>,
  rule: Pick<AlertRulePolicy, "target">,
): string | undefined {
  if (!rule.target || !Object.hasOwn(environments, rule.target.environment)) return undefined;
  const env = environments[rule.target.environment];
  if (!env) return undefined;
  if (rule.target.resource === "plan") return env.appServicePlan;
  return Object.hasOwn(env.components, rule.target.resource)
    ? env.components[rule.target.resource]?.resourceId
    : undefined;
}

/** What is wrong with a rule against the environments: its target must exist and have its metric. */
export function alertRuleIssues(
  environments: Readonly<Record<string, EnvironmentPolicy>>,
  rule: Pick<AlertRulePolicy, "metric" | "target" | "threshold" | "window">,
): { path: (string | number)[]; message: string }[] {
  if (rule.metric === undefined && rule.target === undefined) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (rule.metric === undefined)
    issues.push({ path: ["metric"], message: "a rule with a target needs a metric" });
  if (rule.target === undefined) {
    issues.push({ path: ["target"], message: "a rule with a metric needs a target" });
    return issues;
  }
  if (rule.threshold === undefined)
    issues.push({ path: ["threshold"], message: "a metric rule needs a threshold" });
  if (rule.window === undefined) issues.push({ path: ["window"], message: "a metric rule needs a window" });
  if (!Object.hasOwn(environments, rule.target.environment)) {
    issues.push({ path: ["target", "environment"], message: `no environment "${rule.target.environment}"` });
    return issues;
  }
  const resource = alertRuleTarget(environments, rule);
  if (!resource) {
    const env = environments[rule.target.environment];
    issues.push({
      path: ["target", "resource"],
      message:
        rule.target.resource === "plan"
          ? `environment "${rule.target.environment}" names no appServicePlan`
          : `no component "${rule.target.resource}" in ${rule.target.environment}; known: plan, ${Object.keys(env?.components ?? {}).join(", ")}`,
    });
    return issues;
  }
  const type = resourceTypeOf(resource) ?? "";
  const metrics = metricsOfType(type);
  if (
    rule.metric !== undefined &&
    metrics &&
    !metrics.some((m) => m.toLowerCase() === rule.metric?.toLowerCase())
  ) {
    issues.push({
      path: ["metric"],
      message: `${type} has no metric "${rule.metric}"; it has: ${metrics.join(", ")}`,
    });
  }
  if (!metrics)
    issues.push({
      path: ["target", "resource"],
      message: `metric alerts on ${type || resource} are not known`,
    });
  return issues;
}
