import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import type { SiteConfigReader } from "../../src/shared/ports/site-config-reader.ts";
import { FakeSiteConfig } from "../fakes/site-config.ts";
import { startTestStack } from "../support/stack.ts";

/** SiteConfigReader on its in-memory fake and on Resource Manager (the local estate) alike. */
let stack: LocalStack;
let runtime: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers`;
const web = `${rg}/Microsoft.Web/sites/phoenix-web-prod`;
const gone = `${rg}/Microsoft.Web/sites/phoenix-gone`;
const noGroup = `/subscriptions/${sub}/resourceGroups/rg-nowhere/providers/Microsoft.Web/sites/phoenix-web-prod`;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
});
afterAll(async () => {
  await stack?.close();
});

const readers: [string, () => SiteConfigReader][] = [
  [
    "in-memory fake",
    () =>
      new FakeSiteConfig().add(web, {
        site: { state: "Running", httpsOnly: true, defaultHostName: "phoenix-web-prod.azurewebsites.net" },
        config: { alwaysOn: true, minTlsVersion: "1.2", ftpsState: "Disabled", healthCheckPath: "/health" },
        appSettings: { WEBSITE_RUN_FROM_PACKAGE: "1", PHOENIX_STAGE: "production", NODE_ENV: "production" },
      }),
  ],
  ["Resource Manager adapter on the local estate", () => runtime.ports.siteConfig],
];

describe.each(readers)("SiteConfigReader contract: %s", (_name, make) => {
  it("reads the site's state and its site config", async () => {
    const config = await make().getSiteConfig(web);
    expect(config.siteId).toBe(web);
    expect(config.name).toBe("phoenix-web-prod");
    expect(config.site).toMatchObject({ state: "Running", httpsOnly: true });
    expect(config.config).toMatchObject({
      alwaysOn: true,
      minTlsVersion: "1.2",
      ftpsState: "Disabled",
      healthCheckPath: "/health",
    });
    for (const secretive of [
      "connectionStrings",
      "appSettings",
      "azureStorageAccounts",
      "publishingUsername",
    ]) {
      expect(config.config).not.toHaveProperty(secretive);
    }
  });

  it("lists the app settings' names, sorted, and nothing of their values", async () => {
    const names = await make().listAppSettingNames(web);
    expect(names).toEqual(expect.arrayContaining(["PHOENIX_STAGE", "WEBSITE_RUN_FROM_PACKAGE"]));
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(names).not.toContain("production");
  });

  it("says NotFound for a site or a resource group that does not exist", async () => {
    const reader = make();
    for (const call of [
      () => reader.getSiteConfig(gone),
      () => reader.listAppSettingNames(gone),
      () => reader.getSiteConfig(noGroup),
    ]) {
      const error: unknown = await call().catch((e: unknown) => e);
      expect(isOpsError(error) && error.code).toBe("NotFound");
    }
  });
});
