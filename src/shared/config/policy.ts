import { z } from "zod";

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

const environmentSchema = z
  .object({
    subscriptionId: z.uuid(),
    resourceGroup: z.string().min(1),
    region: z.string().min(1).describe("Azure region of the environment's resources, e.g. westeurope"),
    logAnalyticsWorkspaceId: z.uuid().optional(),
    components: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "component names are lowercase kebab-case"),
        componentSchema,
      )
      .refine((c) => Object.keys(c).length > 0, { message: "an environment needs at least one component" }),
    recipients: z.array(email).min(1).describe("Who is told when a procedure finds a problem"),
  })
  .strict();
export type EnvironmentPolicy = z.infer<typeof environmentSchema>;

const durationIso = z
  .string()
  .regex(/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/, "must be an ISO 8601 duration such as PT5M");

/** The guide's alertRules block, accepted as written. Routing by rule comes with the alerts issue. */
const alertRuleSchema = z
  .object({
    name: z.string().min(1),
    threshold: z.number(),
    window: durationIso,
    action: z.object({ type: z.literal("email"), recipients: z.array(email).min(1) }).strict(),
  })
  .strict();

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
  })
  .strict();

export type OpsPolicy = z.infer<typeof policySchema>;
export type OpsPolicyInput = z.input<typeof policySchema>;
