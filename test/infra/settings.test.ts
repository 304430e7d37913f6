/**
 * The app settings in infra/ against the app's settings schema (src/shared/config/settings.ts): every key
 * the Bicep sets is one the app or the Functions host reads, every literal value passes the schema,
 * what a deployment must set is set, and every key left out has a default or is optional.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { settingsSchema } from "../../src/shared/config/settings.ts";
import { allResources, compileMainTemplate } from "./arm-template.ts";

/** Read by the Functions host or by the OpenTelemetry exporter, not by the app's settings. */
const hostSettings = new Set([
  "AzureWebJobsStorage__credential",
  "AzureWebJobsStorage__clientId",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
]);

/** In Azure, these must come from the deployment: their defaults are for a laptop or for no one. */
const deploymentMustSet = [
  "AZURE_CLIENT_ID",
  "AzureWebJobsStorage__accountName",
  "PHOENIX_EMAIL_ENDPOINT",
  "PHOENIX_EMAIL_SENDER",
  "PHOENIX_AUTH_TENANT_ID",
  "PHOENIX_AUTH_AUDIENCES",
  "PHOENIX_ALERTS_REQUIRE_TOKEN",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "PHOENIX_TELEMETRY",
];

let appSettings: Record<string, unknown>;

beforeAll(() => {
  const config = allResources(compileMainTemplate()).filter(
    (r) => r.type === "Microsoft.Web/sites/config" && String(r.name).includes("appsettings"),
  );
  expect(config).toHaveLength(1);
  appSettings = config[0]!.properties ?? {};
}, 120_000);

describe("infra app settings", () => {
  const schemaKeys = Object.keys(settingsSchema.shape);

  it("sets only keys the app's settings schema or the Functions host reads", () => {
    const unknown = Object.keys(appSettings).filter((k) => !schemaKeys.includes(k) && !hostSettings.has(k));
    expect(unknown).toEqual([]);
  });

  it("sets what a deployment must set", () => {
    expect(deploymentMustSet.filter((k) => !(k in appSettings))).toEqual([]);
  });

  it("leaves out only keys that have a default or are optional", () => {
    const shape = settingsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const missing = schemaKeys.filter((k) => !(k in appSettings) && !shape[k]!.safeParse(undefined).success);
    expect(missing).toEqual([]);
  });

  it("gives each literal value one the schema accepts", () => {
    const shape = settingsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const bad = Object.entries(appSettings)
      .filter(([k, v]) => typeof v === "string" && !v.startsWith("[") && schemaKeys.includes(k))
      .filter(([k, v]) => !shape[k]!.safeParse(v).success);
    expect(bad).toEqual([]);
  });

  it("holds no connection string with a key, no SAS and no instrumentation key", () => {
    const text = JSON.stringify(appSettings);
    expect(text).not.toMatch(/AccountKey=|SharedAccessSignature|InstrumentationKey=[0-9a-f-]{36}[;"]/i);
    expect(appSettings).not.toHaveProperty("AzureWebJobsStorage");
  });
});
