import { randomUUID } from "node:crypto";
import { z } from "zod";
import { actionGroupsAppId, phoenixOpsApi, servicePrincipalObjectId } from "../auth/app-registrations.ts";
import type { EstateContext } from "../context.ts";
import { demo, demoIds } from "../model/demo.ts";
import { levelsOf } from "../scenarios.ts";

/**
 * What an action group does when the `high-cpu-usage` metric alert on the demo plan fires or
 * resolves: POST the common alert schema payload to a webhook (the app's alert endpoint). The payload
 * follows the official samples (common-testaction-metric-static-threshold.json for Fired,
 * common-metric-static-resolved-vm-cpu.json for Resolved); its metricValue is the plan's CPU now, so
 * after a scale-up the Resolved payload carries the lower value. A Resolved payload reuses the alertId
 * and firedDateTime of the last Fired one, as Azure Monitor does for one alert instance.
 */

export const fireAlertSchema = z.object({
  /** The webhook to post to; loopback only (no test reaches beyond this machine). */
  url: z.string().url(),
  monitorCondition: z.enum(["Fired", "Resolved"]).default("Fired"),
  /** Extra headers, e.g. `x-functions-key`. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Adds `Authorization: Bearer` with a token as the action groups' app (secure webhook). */
  secureWebhook: z.boolean().optional(),
  /** The alert instance; the last fired one (or a new one) when omitted. */
  alertId: z.string().min(1).optional(),
});

export type FireAlertRequest = z.input<typeof fireAlertSchema>;

export interface FiredAlert {
  /** The webhook's answer. */
  status: number;
  responseBody: string;
  alertId: string;
  payload: Record<string, unknown>;
}

export const highCpuRule = { name: "high-cpu-usage", threshold: 80, windowSize: "PT5M" } as const;

interface AlertInstance {
  alertId: string;
  firedDateTime: string;
}

function isLoopback(url: URL): boolean {
  return ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname.toLowerCase());
}

export class AlertSender {
  private lastFired: AlertInstance | undefined;

  constructor(private readonly ctx: EstateContext) {}

  /** The payload for the demo plan's high-cpu-usage alert in a given condition, without sending it. */
  payload(monitorCondition: "Fired" | "Resolved", alertId?: string): Record<string, unknown> {
    const now = new Date();
    const instance: AlertInstance =
      alertId !== undefined
        ? {
            alertId,
            firedDateTime:
              this.lastFired?.alertId === alertId ? this.lastFired.firedDateTime : now.toISOString(),
          }
        : monitorCondition === "Resolved" && this.lastFired
          ? this.lastFired
          : {
              alertId: `/subscriptions/${demo.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${randomUUID()}`,
              firedDateTime: now.toISOString(),
            };
    if (monitorCondition === "Fired") this.lastFired = instance;
    const plan = this.ctx.state.get(demoIds.plan);
    const levels = plan ? levelsOf(this.ctx.scenario(), plan) : undefined;
    const cpu = levels?.family === "plan" ? Math.round(levels.cpuPercent * 1000) / 1000 : 0;
    const windowEnd = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const windowStart = new Date(windowEnd.getTime() - 5 * 60_000);
    const targetId = demoIds.plan.toLowerCase();
    return {
      schemaId: "azureMonitorCommonAlertSchema",
      data: {
        essentials: {
          alertId: instance.alertId,
          alertRule: highCpuRule.name,
          severity: "Sev2",
          signalType: "Metric",
          monitorCondition,
          monitoringService: "Platform",
          alertTargetIDs: [targetId],
          configurationItems: [demo.plan],
          originAlertId: `${demo.subscriptionId}_${demo.resourceGroup}_microsoft.insights_metricAlerts_${highCpuRule.name}_1573604318`,
          firedDateTime: instance.firedDateTime,
          ...(monitorCondition === "Resolved" ? { resolvedDateTime: now.toISOString() } : {}),
          description: `CPU of ${demo.plan} above ${highCpuRule.threshold}% over ${highCpuRule.windowSize}`,
          essentialsVersion: "1.0",
          alertContextVersion: "1.0",
        },
        alertContext: {
          properties: null,
          conditionType: "SingleResourceMultipleMetricCriteria",
          condition: {
            windowSize: highCpuRule.windowSize,
            allOf: [
              {
                metricName: "CpuPercentage",
                metricNamespace: "Microsoft.Web/serverFarms",
                operator: "GreaterThan",
                threshold: String(highCpuRule.threshold),
                timeAggregation: "Average",
                dimensions: [],
                metricValue: cpu,
                webTestName: null,
              },
            ],
            windowStartTime: windowStart.toISOString(),
            windowEndTime: windowEnd.toISOString(),
          },
        },
        customProperties: null,
      },
    };
  }

  async send(request: z.output<typeof fireAlertSchema>): Promise<FiredAlert> {
    const url = new URL(request.url);
    if (!isLoopback(url)) throw new Error(`the estate posts alerts to loopback only, not '${url.host}'`);
    const payload = this.payload(request.monitorCondition, request.alertId);
    const headers: Record<string, string> = { "content-type": "application/json", ...request.headers };
    if (request.secureWebhook) {
      const token = await this.ctx.tokens.issue({
        resource: phoenixOpsApi.appIdUri,
        clientId: actionGroupsAppId,
        objectId: servicePrincipalObjectId(actionGroupsAppId),
        roles: [phoenixOpsApi.roles.actionGroupsSecureWebhook],
      });
      headers["authorization"] = `Bearer ${token.accessToken}`;
    }
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(payload) });
    const essentials = (payload["data"] as { essentials: { alertId: string } }).essentials;
    this.ctx.log(`alert ${highCpuRule.name} ${request.monitorCondition} → ${url.href}: ${response.status}`);
    return {
      status: response.status,
      responseBody: await response.text(),
      alertId: essentials.alertId,
      payload,
    };
  }
}
