import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzResult, type AzTarget, findAz, prepareAz, runAz } from "../../local/az.ts";
import type { Estate } from "../../local/estate/index.ts";
import { demo, startEstate } from "../../local/estate/index.ts";

/**
 * The guide's `az webapp deployment slot swap --name $APP_NAME --resource-group $RESOURCE_GROUP
 * --slot staging --target-slot production`, unchanged, with Debian's azure-cli (2.45) against an
 * estate of its own: az posts slotsswap on the slot, follows the long-running operation to its end,
 * and the slots' versions are exchanged while slot settings stay with their slot; a swap while one
 * runs is the Web provider's 409.
 */

const az = findAz();
const rg = demo.resourceGroup;

function parsed<T>(result: AzResult): T {
  if (result.code !== 0) throw new Error(`az failed (exit ${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

describe.skipIf(!az)("az webapp deployment slot swap against the local estate", () => {
  let estate: Estate;
  let target: AzTarget;
  let root: string;
  const run = (...args: string[]) => runAz(az ?? "az", target, args);
  const settings = async (slot?: string) =>
    Object.fromEntries(
      parsed<{ name: string; value: string; slotSetting: boolean }[]>(
        await run(
          "webapp",
          "config",
          "appsettings",
          "list",
          "--name",
          demo.webSite,
          "--resource-group",
          rg,
          ...(slot ? ["--slot", slot] : []),
          "-o",
          "json",
        ),
      ).map((s) => [s.name, s.value]),
    );
  const version = async (host: string) =>
    ((await (await fetch(`${estate.url}/_sites/${host}/version`)).json()) as { version: string }).version;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "phoenix-az-swap-"));
    estate = await startEstate({ outboxDir: join(root, "outbox"), scenario: "healthy" });
    target = {
      estateUrl: estate.url,
      identityEndpoint: estate.identityEndpoint,
      identityHeader: estate.identityHeader,
      caPath: process.env["NODE_EXTRA_CA_CERTS"] ?? "",
      configDir: join(root, "az"),
    };
    await prepareAz(az ?? "az", target);
  });

  afterAll(async () => {
    await estate?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("swaps staging into production as written in the guide; slot settings stay with their slot", async () => {
    expect(await version(demo.webSite)).toBe(demo.liveVersion);
    expect(await version(`${demo.webSite}-staging`)).toBe(demo.stagedVersion);
    const result = await run(
      "webapp",
      "deployment",
      "slot",
      "swap",
      "--name",
      demo.webSite,
      "--resource-group",
      rg,
      "--slot",
      "staging",
      "--target-slot",
      "production",
    );
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
    expect(await version(demo.webSite)).toBe(demo.stagedVersion);
    expect(await version(`${demo.webSite}-staging`)).toBe(demo.liveVersion);
    const production = await settings();
    const staging = await settings("staging");
    expect(production["APP_VERSION"]).toBe(demo.stagedVersion);
    expect(staging["APP_VERSION"]).toBe(demo.liveVersion);
    // PHOENIX_STAGE is a slot setting: it stayed where it was.
    expect(production["PHOENIX_STAGE"]).toBe("production");
    expect(staging["PHOENIX_STAGE"]).toBe("staging");
  }, 60_000);

  it("refuses a slot the site does not have, and swapping a slot with itself", async () => {
    const missing = await run(
      "webapp",
      "deployment",
      "slot",
      "swap",
      "--name",
      demo.webSite,
      "--resource-group",
      rg,
      "--slot",
      "blue",
      "--target-slot",
      "production",
    );
    expect(missing.code).not.toBe(0);
    const itself = await run(
      "webapp",
      "deployment",
      "slot",
      "swap",
      "--name",
      demo.webSite,
      "--resource-group",
      rg,
      "--slot",
      "staging",
      "--target-slot",
      "staging",
    );
    expect(itself.code).not.toBe(0);
    expect(itself.stderr).toContain("Cannot swap slot staging with itself");
  }, 60_000);
});
