import { z } from "zod";
import type { FaultSpec } from "../controls/faults.ts";
import type { EstateStats } from "../controls/stats.ts";
import type { BenchSeed, BenchSpec } from "../model/seed.ts";
import type { ArmResource } from "../model/state.ts";
import type { ScenarioName } from "../scenarios.ts";
import { isScenarioName, scenarioNames, scenarios } from "../scenarios.ts";
import { badRequest, json } from "../server/replies.ts";
import type { Route } from "../server/router.ts";
import type { FireAlertRequest, FiredAlert } from "./alert-webhook.ts";
import { fireAlertSchema } from "./alert-webhook.ts";
import type { AutoscaleSeed } from "./autoscale.ts";
import { autoscaleSeedSchema } from "./autoscale.ts";

/**
 * The estate's control API under /_estate/, for processes that did not start it (tests, benchmark,
 * CLI). No token, not counted in stats, no latency or faults.
 */

export interface EstateControls {
  readonly scenario: ScenarioName;
  setScenario(name: ScenarioName): void;
  setLatency(ms: number, match?: RegExp): void;
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  stats(): EstateStats;
  resetStats(): void;
  seedBench(spec: BenchSpec): BenchSeed;
  /**
   * Adds (or replaces) an autoscale setting; by default an enabled one on the demo plan with capacity
   * 1..10 (default 1). Returns the setting as Resource Manager serves it.
   */
  addAutoscaleSetting(seed?: AutoscaleSeed): ArmResource;
  /** Removes every autoscale setting; returns how many there were. */
  clearAutoscaleSettings(): number;
  /** Posts the demo plan's high-cpu-usage alert (common alert schema) to a loopback webhook. */
  fireAlert(request: FireAlertRequest): Promise<FiredAlert>;
}

const latencyBody = z.object({ ms: z.number().min(0), pathPattern: z.string().min(1).optional() });

const faultBody = z.object({
  pathPattern: z.string().min(1),
  method: z.string().min(1).optional(),
  status: z.union([z.literal(429), z.literal(500), z.literal(503), z.literal("reset")]),
  retryAfterSeconds: z.number().int().min(0).optional(),
  count: z.number().int().min(1).optional(),
});

export const maxBenchResources = 20_000;

export const benchSpecSchema = z.object({
  environment: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "environment names are lowercase kebab-case")
    .refine((e) => e !== "prod", { message: "'prod' is the demo environment" }),
  webapps: z.number().int().min(0).max(maxBenchResources),
  apis: z.number().int().min(0).max(maxBenchResources),
  databases: z.number().int().min(0).max(maxBenchResources),
  stagingSlots: z.object({ badStaging: z.number().int().min(0) }).optional(),
});

function invalid(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
}

function regex(source: string): RegExp | string {
  try {
    return new RegExp(source);
  } catch (error) {
    return error instanceof Error ? error.message : "invalid pattern";
  }
}

export function adminRoutes(controls: EstateControls): Route[] {
  const admin = { access: "admin", name: "admin" } as const;
  return [
    {
      ...admin,
      method: "GET",
      path: "/_estate/scenarios",
      handle: () => json({ current: controls.scenario, scenarios }),
    },
    {
      ...admin,
      method: "POST",
      path: "/_estate/scenario",
      handle: async (request) => {
        const body = z.object({ name: z.string() }).safeParse(await request.json());
        const name = body.success ? body.data.name : undefined;
        if (!isScenarioName(name)) return badRequest(`name must be one of: ${scenarioNames.join(", ")}`);
        controls.setScenario(name);
        return json({ current: controls.scenario });
      },
    },
    {
      ...admin,
      method: "POST",
      path: "/_estate/latency",
      handle: async (request) => {
        const body = latencyBody.safeParse(await request.json());
        if (!body.success) return badRequest(invalid(body.error));
        const pattern = body.data.pathPattern === undefined ? undefined : regex(body.data.pathPattern);
        if (typeof pattern === "string") return badRequest(`pathPattern: ${pattern}`);
        controls.setLatency(body.data.ms, pattern);
        return json({ ms: body.data.ms, pathPattern: body.data.pathPattern ?? null });
      },
    },
    {
      ...admin,
      method: "POST",
      path: "/_estate/faults",
      handle: async (request) => {
        const body = faultBody.safeParse(await request.json());
        if (!body.success) return badRequest(invalid(body.error));
        const pattern = regex(body.data.pathPattern);
        if (typeof pattern === "string") return badRequest(`pathPattern: ${pattern}`);
        controls.addFault({ ...body.data, pathPattern: pattern });
        return json({ added: body.data });
      },
    },
    {
      ...admin,
      method: "DELETE",
      path: "/_estate/faults",
      handle: () => {
        controls.clearFaults();
        return json({ cleared: true });
      },
    },
    { ...admin, method: "GET", path: "/_estate/stats", handle: () => json(controls.stats()) },
    {
      ...admin,
      method: "POST",
      path: "/_estate/stats/reset",
      handle: () => {
        controls.resetStats();
        return json(controls.stats());
      },
    },
    {
      ...admin,
      method: "POST",
      path: "/_estate/bench-seed",
      handle: async (request) => {
        const body = benchSpecSchema.safeParse(await request.json());
        if (!body.success) return badRequest(invalid(body.error));
        return json(controls.seedBench(body.data));
      },
    },
    {
      ...admin,
      method: "POST",
      path: "/_estate/autoscale-settings",
      handle: async (request) => {
        const body = autoscaleSeedSchema.safeParse((await request.json()) ?? {});
        if (!body.success) return badRequest(invalid(body.error));
        try {
          return json(controls.addAutoscaleSetting(body.data), 201);
        } catch (error) {
          return badRequest(error instanceof Error ? error.message : String(error));
        }
      },
    },
    {
      ...admin,
      method: "DELETE",
      path: "/_estate/autoscale-settings",
      handle: () => json({ removed: controls.clearAutoscaleSettings() }),
    },
    {
      ...admin,
      method: "POST",
      path: "/_estate/alerts/fire",
      handle: async (request) => {
        const body = fireAlertSchema.safeParse(await request.json());
        if (!body.success) return badRequest(invalid(body.error));
        try {
          return json(await controls.fireAlert(body.data));
        } catch (error) {
          return json(
            {
              error: {
                code: "WebhookFailed",
                message: error instanceof Error ? error.message : String(error),
              },
            },
            502,
          );
        }
      },
    },
  ];
}
