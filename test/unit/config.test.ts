import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadPolicyFile, loadSettings, parsePolicy } from "../../src/shared/config/load.ts";
import { policyJsonSchema } from "../../src/shared/config/policy-json-schema.ts";
import { policySchema } from "../../src/shared/config/policy.ts";
import { settingsSchema, storageSettingIssue } from "../../src/shared/config/settings.ts";

describe("app settings", () => {
  it("local.settings.sample.json documents exactly the settings the app reads", () => {
    const sample = JSON.parse(readFileSync("local.settings.sample.json", "utf8")) as {
      Values: Record<string, string>;
    };
    const documented = Object.keys(sample.Values)
      .filter((key) => !key.endsWith("__comment") && key !== "FUNCTIONS_WORKER_RUNTIME")
      .sort();
    expect(documented).toEqual(Object.keys(settingsSchema.shape).sort());
  });

  it("asks for what identity-based storage needs instead of building addresses from nothing", () => {
    expect(storageSettingIssue({ AzureWebJobsStorage__accountName: "acct" })).toBeUndefined();
    expect(
      storageSettingIssue({
        AzureWebJobsStorage__blobServiceUri: "https://a.blob.core.windows.net",
        AzureWebJobsStorage__queueServiceUri: "https://a.queue.core.windows.net",
        AzureWebJobsStorage__tableServiceUri: "https://a.table.core.windows.net",
      }),
    ).toBeUndefined();
    expect(
      storageSettingIssue({ AzureWebJobsStorage__tableServiceUri: "https://a.table.core.windows.net" }),
    ).toBe(
      "identity-based storage needs AzureWebJobsStorage__accountName or every service URI; missing AzureWebJobsStorage__blobServiceUri, AzureWebJobsStorage__queueServiceUri",
    );
    expect(() =>
      loadSettings({ AzureWebJobsStorage__queueServiceUri: "https://a.queue.core.windows.net" }),
    ).toThrow(/missing AzureWebJobsStorage__blobServiceUri, AzureWebJobsStorage__tableServiceUri/);
  });

  it.each(["1e2", "0x10", "12.5", "-1", " 7"])("refuses %j as a whole-number setting", (text) => {
    expect(() =>
      loadSettings({ AzureWebJobsStorage: "UseDevelopmentStorage=true", PHOENIX_AZURE_MAX_RETRIES: text }),
    ).toThrow(/PHOENIX_AZURE_MAX_RETRIES/);
  });
});

describe("ops policy", () => {
  it("accepts the shipped policy, including the guide's alertRules block as written", () => {
    const policy = loadPolicyFile("config/ops-policy.json");
    expect(Object.keys(policy.environments.prod!.components)).toEqual(["webapp", "api", "database"]);
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
    expect(policy.environments.prod!.scaling).toEqual({
      skus: ["P1V2", "P2V2", "P3V2"],
      minInstances: 1,
      maxInstances: 10,
    });
  });

  it("refuses a scaling policy App Service cannot follow, and a scaling rule with no policy to follow", () => {
    const raw = JSON.parse(readFileSync("config/ops-policy.json", "utf8")) as {
      environments: { prod: { scaling?: unknown } };
    };
    raw.environments.prod.scaling = { skus: ["P1V2", "P9V9", "p1v2"], minInstances: 5, maxInstances: 2 };
    const bad = policySchema.safeParse(raw);
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(messages).toContain(
      "environments.prod.scaling.skus.1: not an App Service plan SKU (e.g. P1V2, P2V2, S1)",
    );
    delete raw.environments.prod.scaling;
    const unscaled = policySchema.safeParse(raw);
    expect(unscaled.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      'alertRules.0.scale: environment "prod" has no scaling policy (environments.prod.scaling)',
    ]);
  });

  it("ships a JSON Schema generated from the validator (run `npm run schema` after changing it)", () => {
    const committed: unknown = JSON.parse(readFileSync("config/ops-policy.schema.json", "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(policyJsonSchema())));
  });

  it("reports every wrong key at once", () => {
    const raw = JSON.parse(readFileSync("config/ops-policy.json", "utf8")) as {
      environments: { prod: { subscriptionId: string; components: { webapp: { healthUrl: string } } } };
      thresholds: { api: { latencyMs: unknown } };
      healthCheck: { hourUtc: number };
      surprise?: boolean;
    };
    raw.environments.prod.subscriptionId = "not-a-guid";
    raw.environments.prod.components.webapp.healthUrl = "ftp://x";
    raw.thresholds.api.latencyMs = { warning: 900, critical: 100 };
    raw.healthCheck.hourUtc = 25;
    raw.surprise = true;
    let message = "";
    try {
      parsePolicy(raw, "test.json");
    } catch (error) {
      message = (error as Error).message;
    }
    for (const key of [
      "environments.prod.subscriptionId",
      "environments.prod.components.webapp.healthUrl",
      "thresholds.api.latencyMs",
      "healthCheck.hourUtc",
      "surprise",
    ]) {
      expect(message).toContain(key);
    }
  });

  it("says plainly when the file is missing or is not JSON", () => {
    expect(() => loadPolicyFile("config/nope.json")).toThrow(
      "ops policy config/nope.json cannot be read (ENOENT)",
    );
    expect(() => loadPolicyFile("package-lock.json")).toThrow(/is invalid/);
    expect(() => loadPolicyFile("README.md")).toThrow(/is not valid JSON/);
  });
});

describe("app settings", () => {
  it("fills in public-cloud defaults", () => {
    const settings = loadSettings({ AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(settings.PHOENIX_ARM_ENDPOINT).toBe("https://management.azure.com");
    expect(settings.PHOENIX_CREDENTIAL).toBe("managed-identity");
    expect(settings.PHOENIX_METRICS_ENDPOINT).toBeUndefined();
  });

  it("requires storage, and lists every bad setting in one message", () => {
    expect(() => loadSettings({ PHOENIX_ARM_ENDPOINT: "nope", PHOENIX_AZURE_MAX_RETRIES: "eleven" })).toThrow(
      /AzureWebJobsStorage[\s\S]*PHOENIX_ARM_ENDPOINT|PHOENIX_ARM_ENDPOINT[\s\S]*AzureWebJobsStorage/,
    );
    expect(() => loadSettings({ PHOENIX_ARM_ENDPOINT: "nope", PHOENIX_AZURE_MAX_RETRIES: "eleven" })).toThrow(
      /PHOENIX_AZURE_MAX_RETRIES/,
    );
  });

  it("accepts identity-based storage instead of a connection string", () => {
    expect(
      loadSettings({ AzureWebJobsStorage__accountName: "phoenixops" }).AzureWebJobsStorage__accountName,
    ).toBe("phoenixops");
  });
});
