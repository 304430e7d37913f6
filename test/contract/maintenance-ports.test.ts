import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { ChangeToken } from "../../src/shared/change-control/change-token.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import type {
  MaintenanceWindowRecord,
  MaintenanceWindowStore,
} from "../../src/shared/ports/maintenance-windows.ts";
import type { ReleaseEntry, ReleaseLedger } from "../../src/shared/ports/release-ledger.ts";
import type { WebAppSlots } from "../../src/shared/ports/web-app-slots.ts";
import { FakeWebApps, MemoryMaintenanceWindows, MemoryReleaseLedger } from "../fakes/maintenance.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The maintenance ports against their fakes and their adapters: web apps and slots on the local
 * estate (Resource Manager), maintenance windows and the release ledger in Azurite's Table storage.
 * The fakes the maintenance tests trust answer as the adapters do.
 */
let stack: LocalStack;
let runtime: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = "rg-phoenix-prod";
const app = "phoenix-web-prod";
const siteId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${app}`;
const site = { subscriptionId: sub, resourceGroup: rg, siteName: app };

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

function seededFake(): FakeWebApps {
  const fake = new FakeWebApps();
  const settings = (stage: string, version: string) => ({
    WEBSITE_NODE_DEFAULT_VERSION: "~20",
    WEBSITE_RUN_FROM_PACKAGE: `${stack.estate.url}/_packages/phoenix-web-${version}.zip`,
    NODE_ENV: "production",
    PHOENIX_STAGE: stage,
    APP_VERSION: version,
  });
  fake.addSite(sub, rg, app, {
    production: settings("production", "2.3.1"),
    staging: settings("staging", "2.4.0"),
  });
  fake.site(site)?.sticky.push("PHOENIX_STAGE");
  return fake;
}

const slotPorts: [string, () => WebAppSlots][] = [
  ["in-memory fake", seededFake],
  ["Resource Manager adapter on the local estate", () => runtime.ports.slots],
];

describe.each(slotPorts)("WebAppSlots contract: %s", (_name, make) => {
  let slots: WebAppSlots;
  beforeEach(() => {
    slots = make();
  });

  it("reads a slot's state and settings, lists slots, and answers undefined for what does not exist", async () => {
    const production = await slots.getSlot(sub, rg, app, "production");
    expect(production).toMatchObject({
      siteName: app,
      slot: "production",
      state: "Running",
      targetSwapSlot: null,
    });
    expect(production?.id.toLowerCase()).toBe(siteId.toLowerCase());
    expect(production?.appSettings["APP_VERSION"]).toBe("2.3.1");
    expect((await slots.getSlot(sub, rg, app, "staging"))?.appSettings["APP_VERSION"]).toBe("2.4.0");
    expect(await slots.listSlots(sub, rg, app)).toEqual(["staging"]);
    expect(await slots.getSlot(sub, rg, app, "blue")).toBeUndefined();
    expect(await slots.getSlot(sub, rg, "no-such-app", "production")).toBeUndefined();
    expect(await slots.listSlots(sub, rg, "no-such-app")).toBeUndefined();
    expect(await slots.slotSettingNames(sub, rg, app)).toEqual(["PHOENIX_STAGE"]);
  });

  it("sets slot settings with a token for the site, swaps (slot settings stay), and swaps back", async () => {
    const token = ChangeToken.issue("CHG-contract-swap", siteId);
    await slots.setAppSettings(
      token,
      { ...site, slot: "staging" },
      { WEBSITE_SWAP_WARMUP_PING_PATH: "/health" },
      ["WEBSITE_SWAP_WARMUP_PING_PATH"],
    );
    expect(await slots.slotSettingNames(sub, rg, app)).toEqual([
      "PHOENIX_STAGE",
      "WEBSITE_SWAP_WARMUP_PING_PATH",
    ]);
    await slots.swap(token, site, "staging", "production", { updateIntervalInMs: 100 });
    const production = await slots.getSlot(sub, rg, app, "production");
    const staging = await slots.getSlot(sub, rg, app, "staging");
    expect(production?.appSettings).toMatchObject({ APP_VERSION: "2.4.0", PHOENIX_STAGE: "production" });
    expect(production?.appSettings["WEBSITE_SWAP_WARMUP_PING_PATH"]).toBeUndefined();
    expect(staging?.appSettings).toMatchObject({
      APP_VERSION: "2.3.1",
      PHOENIX_STAGE: "staging",
      WEBSITE_SWAP_WARMUP_PING_PATH: "/health",
    });
    await slots.swap(token, site, "staging", "production", { updateIntervalInMs: 100 });
    expect((await slots.getSlot(sub, rg, app, "production"))?.appSettings["APP_VERSION"]).toBe("2.3.1");
  }, 30_000);

  it("refuses a token for another resource, and a slot swapped with itself", async () => {
    const wrong = ChangeToken.issue("CHG-contract-wrong", `${siteId}-other`);
    await expect(slots.swap(wrong, site, "staging", "production")).rejects.toThrow(/may change/);
    await expect(slots.setAppSettings(wrong, { ...site, slot: "staging" }, { A: "1" }, [])).rejects.toThrow(
      /may change/,
    );
    const token = ChangeToken.issue("CHG-contract-self", siteId);
    const error = await slots.swap(token, site, "staging", "staging").catch((e: unknown) => e);
    expect(isOpsError(error) && error.code).toBe("BadRequest");
  });
});

describe("the Web provider's 409 while a swap runs (adapter on the estate)", () => {
  it("is a retryable Conflict", async () => {
    const token = ChangeToken.issue("CHG-contract-409", siteId);
    const first = runtime.ports.slots.swap(token, site, "staging", "production", { updateIntervalInMs: 100 });
    await new Promise((r) => setTimeout(r, 100));
    const error = await runtime.ports.slots
      .swap(token, site, "staging", "production")
      .catch((e: unknown) => e);
    await first;
    expect(isOpsError(error) && error.code).toBe("Conflict");
    expect(isOpsError(error) && error.retryable).toBe(true);
    await runtime.ports.slots.swap(token, site, "staging", "production", { updateIntervalInMs: 100 });
  }, 30_000);
});

const window = (id: string, environment = "prod"): MaintenanceWindowRecord => ({
  id,
  environment,
  status: "open",
  startedAt: new Date().toISOString(),
  plannedEnd: new Date(Date.now() + 3_600_000).toISOString(),
  endedAt: null,
  openedBy: "alice",
  endedBy: null,
  reason: "contract",
  notification: false,
  endNote: null,
  verification: null,
});

const windowStores: [string, () => MaintenanceWindowStore][] = [
  ["in-memory fake", () => new MemoryMaintenanceWindows()],
  ["Table storage adapter on Azurite", () => runtime.ports.maintenance],
];

describe.each(windowStores)("MaintenanceWindowStore contract: %s", (name, make) => {
  it("creates once, lists open windows by environment, and closes a window once under its ETag", async () => {
    const store = make();
    const id = `MW-contract-${name.length}-${Date.now()}`;
    await store.create(window(id));
    await store.create({ ...window(id), reason: "a redelivery" });
    expect((await store.get(id))?.reason).toBe("contract");
    expect((await store.listOpen({ environment: "prod" })).map((w) => w.id)).toContain(id);
    expect((await store.listOpen({ environment: "staging" })).map((w) => w.id)).not.toContain(id);
    let closes = 0;
    const close = () =>
      store.update(id, (current) => {
        if (current.status !== "open") return undefined;
        closes++;
        return { ...current, status: "ended", endedAt: new Date().toISOString() };
      });
    await Promise.all([close(), close()]);
    expect((await store.get(id))?.status).toBe("ended");
    expect(closes).toBeGreaterThanOrEqual(1);
    expect((await store.listOpen({ environment: "prod" })).map((w) => w.id)).not.toContain(id);
    await expect(store.update("MW-none", (c) => c)).rejects.toThrow(/no maintenance window/);
    expect(await store.get("MW-none")).toBeUndefined();
  });
});

const entry = (id: string, at: string, version: string): ReleaseEntry => ({
  id,
  siteId: siteId.toLowerCase(),
  siteName: app,
  environment: "prod",
  version,
  package: `https://example.net/phoenix-web-${version}.zip`,
  kind: "live",
  slot: "production",
  at,
  by: "pipeline",
  via: "deploy",
  verification: "pending",
  verificationSummary: null,
  changeId: null,
});

const ledgers: [string, () => ReleaseLedger][] = [
  ["in-memory fake", () => new MemoryReleaseLedger()],
  ["Table storage adapter on Azurite", () => runtime.ports.releases],
];

describe.each(ledgers)("ReleaseLedger contract: %s", (_name, make) => {
  it("records once, lists a site's entries newest first, and sets a verification outcome", async () => {
    const ledger = make();
    const stamp = Date.now();
    await ledger.record(entry(`rel-a-${stamp}`, "2026-12-01T10:00:00.000Z", "1.0.0"));
    await ledger.record(entry(`rel-b-${stamp}`, "2026-12-01T11:00:00.000Z", "1.1.0"));
    await ledger.record({ ...entry(`rel-b-${stamp}`, "2026-12-01T11:00:00.000Z", "9.9.9") });
    await ledger.setVerification(`rel-b-${stamp}`, "passed", "all good");
    const listed = (await ledger.list({ siteId })).filter((e) => e.id.endsWith(String(stamp)));
    expect(listed.map((e) => [e.version, e.verification])).toEqual([
      ["1.1.0", "passed"],
      ["1.0.0", "pending"],
    ]);
    expect(await ledger.list({ siteId: `${siteId}-other` })).toEqual([]);
    await expect(ledger.setVerification("rel-none", "failed", "x")).rejects.toThrow(/no release/);
    expect(await ledger.get("rel-none")).toBeUndefined();
  });
});
