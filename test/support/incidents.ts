import { ClientSecretCredential } from "@azure/identity";
import { expect } from "vitest";
import { localClients, phoenixOpsApi } from "../../local/estate/auth/app-registrations.ts";
import type { LocalStack } from "../../local/stack.ts";
import type { Incident, IncidentEvent } from "../../src/shared/incidents/model.ts";
import { postJson } from "./stack.ts";

/** A token for the Phoenix Ops API, fetched the way any Entra client would, from the local estate. */
export async function tokenFor(stack: LocalStack, client: keyof typeof localClients): Promise<string> {
  const { clientId, clientSecret } = localClients[client];
  const credential = new ClientSecretCredential(stack.estate.tenantId, clientId, clientSecret, {
    authorityHost: stack.estate.url,
    disableInstanceDiscovery: true,
  });
  const token = await credential.getToken(`${phoenixOpsApi.appIdUri}/.default`);
  return token.token;
}

export async function api(
  stack: LocalStack,
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${stack.hostUrl}/api/${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      ...(init.headers as Record<string, string>),
    },
  });
}

export async function postAlert(stack: LocalStack, payload: unknown): Promise<Response> {
  return postJson(`${stack.hostUrl}/api/alerts`, payload);
}

export async function listIncidents(stack: LocalStack, token: string): Promise<Incident[]> {
  const response = await api(stack, token, "incidents?limit=500");
  expect(response.status).toBe(200);
  return ((await response.json()) as { incidents: Incident[] }).incidents;
}

export async function incidentWithHistory(
  stack: LocalStack,
  token: string,
  id: string,
): Promise<{ incident: Incident; history: IncidentEvent[] }> {
  const response = await api(stack, token, `incidents/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { incident: Incident; history: IncidentEvent[] };
}

/** Waits, polling, until `probe` returns a value; the queue-driven pipeline is asynchronous by design. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutInMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A common-schema metric alert on one of the demo estate's resources, with the fields a test varies. */
export function metricAlert(options: {
  rule: string;
  alertId: string;
  target: string;
  condition?: "Fired" | "Resolved";
  severity?: string;
  description?: string;
  value?: number;
}): Record<string, unknown> {
  return {
    schemaId: "azureMonitorCommonAlertSchema",
    data: {
      essentials: {
        alertId: `/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/providers/Microsoft.AlertsManagement/alerts/${options.alertId}`,
        alertRule: options.rule,
        severity: options.severity ?? "Sev1",
        signalType: "Metric",
        monitorCondition: options.condition ?? "Fired",
        monitoringService: "Platform",
        alertTargetIDs: [options.target],
        configurationItems: [options.target.split("/").pop()],
        originAlertId: `origin-${options.alertId}`,
        firedDateTime: "2026-11-26T10:00:00.000Z",
        ...(options.condition === "Resolved" ? { resolvedDateTime: "2026-11-26T10:20:00.000Z" } : {}),
        description: options.description ?? "CPU above threshold",
        essentialsVersion: "1.0",
        alertContextVersion: "1.0",
      },
      alertContext: {
        properties: null,
        conditionType: "SingleResourceMultipleMetricCriteria",
        condition: {
          windowSize: "PT5M",
          allOf: [
            {
              metricName: "CpuPercentage",
              metricNamespace: "Microsoft.Web/serverFarms",
              operator: "GreaterThan",
              threshold: "80",
              timeAggregation: "Average",
              dimensions: [],
              metricValue: options.value ?? 93.5,
            },
          ],
          windowStartTime: "2026-11-26T09:55:00.000Z",
          windowEndTime: "2026-11-26T10:00:00.000Z",
        },
      },
    },
  };
}

export const demo = {
  web: "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/sites/phoenix-web-prod",
  api: "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/sites/phoenix-api-prod",
  plan: "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/serverfarms/asp-phoenix-prod",
  db: "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Sql/servers/sql-phoenix-prod/databases/phoenixdb",
};
