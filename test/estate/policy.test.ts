import { describe, expect, it } from "vitest";
import { policySchema } from "../../src/shared/config/policy.ts";
import { demoPolicy } from "../../local/estate/index.ts";
import { startTestEstate } from "./helpers.ts";

describe("demoPolicy", () => {
  it("is a valid ops policy describing the demo estate", () => {
    const policy = policySchema.parse(demoPolicy("https://127.0.0.1:8443"));
    const prod = policy.environments["prod"];
    expect(prod?.subscriptionId).toBe("6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
    expect(prod?.resourceGroup).toBe("rg-phoenix-prod");
    expect(prod?.logAnalyticsWorkspaceId).toBe("3b5e8f7a-1c2d-4e6f-9a0b-1c2d3e4f5a6b");
    expect(prod?.components["webapp"]).toMatchObject({
      kind: "webapp",
      resourceId:
        "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/sites/phoenix-web-prod",
      healthUrl: "https://127.0.0.1:8443/_sites/phoenix-web-prod/health",
    });
    expect(prod?.components["database"]).toMatchObject({
      kind: "database",
      resourceId:
        "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Sql/servers/sql-phoenix-prod/databases/phoenixdb",
    });
    expect(policy.thresholds.api.successRatePercent).toEqual({
      warning: 99,
      critical: 95,
      direction: "below",
    });
    expect(policy.healthCheck).toEqual({
      hourUtc: 6,
      windowMinutes: 15,
      probeTimeoutMs: 5000,
      metricsConcurrency: 8,
      probeConcurrency: 64,
    });
    expect(policy.alertRules).toEqual([
      {
        name: "high-cpu-usage",
        threshold: 80,
        window: "PT5M",
        action: { type: "email", recipients: ["ops@phoenixvc.tech"] },
        metric: "CpuPercentage",
        target: { environment: "prod", resource: "plan" },
        operator: "GreaterThan",
        aggregation: "Average",
        severity: 2,
        scale: { up: true, out: 0, back: "auto", stabilisationMinutes: 15 },
      },
    ]);
  });

  it("accepts a bench environment as a policy environment", async () => {
    const { estate, close } = await startTestEstate();
    try {
      const bench = estate.seedBench({ environment: "bench", webapps: 3, apis: 2, databases: 4 });
      const base = demoPolicy(estate.url);
      const policy = policySchema.parse({ ...base, environments: { ...base.environments, bench } });
      expect(Object.keys(policy.environments["bench"]?.components ?? {})).toHaveLength(9);
    } finally {
      await close();
    }
  });
});
