import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { main } from "../../src/cli/main.ts";
import { createAzureClients } from "../../src/shared/composition/azure-clients.ts";
import { createCredential } from "../../src/shared/composition/credential.ts";
import { pickSettings, settingsSchema } from "../../src/shared/config/settings.ts";
import type { SiteDiagnosticsManifest } from "../../src/shared/operations/site-diagnostics/collect.ts";
import { tokenFor } from "../support/incidents.ts";
import { type CliResult, apiSettings, runCli, startTestStack } from "../support/stack.ts";

/** The guide's `az webapp log download`, through the local Functions host, the CLI and the local estate. */
let stack: LocalStack;
let reader: string;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const web = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/sites/phoenix-web-prod`;
const route = "sites/phoenix-web-prod/diagnostics";

beforeAll(async () => {
  stack = await startTestStack();
  reader = await tokenFor(stack, "reader");
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
});
afterAll(async () => {
  await stack?.close();
});

function get(path: string, token: string | null = reader): Promise<Response> {
  return fetch(`${stack.hostUrl}/api/${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

function unzip(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(Object.entries(unzipSync(bytes)).map(([path, data]) => [path, strFromU8(data)]));
}

/** The site's app setting values as Azure holds them, read past the app with the SDK, to look for in the zip. */
async function settingValues(): Promise<string[]> {
  const settings = settingsSchema.parse(pickSettings(stack.settings));
  const azure = createAzureClients(settings, createCredential(settings));
  const listed = await azure
    .webSites(sub)
    .webApps.listApplicationSettings("rg-phoenix-prod", "phoenix-web-prod");
  return Object.values(listed.properties ?? {});
}

describe("GET /api/sites/{name}/diagnostics", () => {
  it("answers a zip attachment of the site's logs, metrics and configuration, with a manifest", async () => {
    const response = await get(`${route}?resourceGroup=rg-phoenix-prod&since=1h`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="phoenix-web-prod-diagnostics-\d{8}T\d{6}Z\.zip"$/,
    );
    const zip = unzip(new Uint8Array(await response.arrayBuffer()));
    const manifest = JSON.parse(zip["manifest.json"] ?? "{}") as SiteDiagnosticsManifest;
    expect(manifest.site).toMatchObject({ name: "phoenix-web-prod", resourceId: web, environment: "prod" });
    expect(manifest.files.sort()).toEqual(Object.keys(zip).sort());
    const sources = Object.fromEntries(manifest.sources.map((s) => [s.source, s]));
    expect(Object.keys(sources).sort()).toEqual(
      [
        "AppServiceAppLogs",
        "AppServiceConsoleLogs",
        "AppServiceHTTPLogs",
        "app setting names",
        "exceptions",
        "metrics",
        "requests",
        "site configuration",
      ].sort(),
    );
    // Each source is either in the zip with its rows or recorded with the reason it is not.
    for (const source of manifest.sources) {
      if (source.status === "collected") expect(zip[source.file ?? ""]).toBeDefined();
      else expect(source.error).toBeTruthy();
    }
    expect(sources["requests"]).toMatchObject({ status: "collected", file: "logs/requests.jsonl" });
    expect(sources["requests"]?.rows).toBeGreaterThan(0);
    const request = JSON.parse(zip["logs/requests.jsonl"]?.split("\n")[0] ?? "{}") as Record<string, unknown>;
    expect(request["cloud_RoleName"]).toBe("phoenix-web-prod");
    expect(sources["metrics"]).toMatchObject({ status: "collected" });
    const metrics = JSON.parse(zip["metrics/site-metrics.json"] ?? "{}") as { metrics: object };
    expect(Object.keys(metrics.metrics)).toEqual(expect.arrayContaining(["Http5xx", "Requests"]));
    const config = JSON.parse(zip["site/configuration.json"] ?? "{}") as { site: object; config: object };
    expect(config.site).toMatchObject({ state: "Running", httpsOnly: true });
    expect(config.config).toMatchObject({ alwaysOn: true, minTlsVersion: "1.2", healthCheckPath: "/health" });
    const names = JSON.parse(zip["site/app-setting-names.json"] ?? "{}") as { names: string[] };
    expect(names.names).toEqual(expect.arrayContaining(["PHOENIX_STAGE", "WEBSITE_RUN_FROM_PACKAGE"]));
    const everything = Object.values(zip).join("\n");
    const values = (await settingValues()).filter((v) => v.length >= 5);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(everything).not.toContain(value);
  });

  it("answers 404 naming an unknown site or resource group, 400 naming a bad since, 401 without a token", async () => {
    const site = await get("sites/phoenix-typo/diagnostics?resourceGroup=rg-phoenix-prod");
    expect(site.status).toBe(404);
    expect(site.headers.get("content-type")).toMatch(/problem\+json/);
    expect(((await site.json()) as { detail: string }).detail).toContain('site "phoenix-typo" was not found');
    const group = await get(`${route}?resourceGroup=rg-nowhere`);
    expect(group.status).toBe(404);
    expect(((await group.json()) as { detail: string }).detail).toContain(
      'unknown resource group "rg-nowhere"',
    );
    const since = await get(`${route}?resourceGroup=rg-phoenix-prod&since=forever`);
    expect(since.status).toBe(400);
    expect(JSON.stringify(await since.json())).toContain("since");
    expect((await get(`${route}?resourceGroup=rg-phoenix-prod`, null)).status).toBe(401);
  });
});

describe("phoenix-ops logs download", () => {
  const cli = (args: string[]): Promise<CliResult> => runCli(args, apiSettings(stack));
  const flags = ["logs", "download", "--name", "phoenix-web-prod", "--resource-group", "rg-phoenix-prod"];

  it("writes the zip to --output-file and prints where and what, never the bytes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-download-"));
    const file = join(dir, "web.zip");
    const result = await cli([...flags, "--since", "30m", "--output-file", file]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Wrote ${file} (`);
    expect(result.stdout).toMatch(/SOURCE\s+STATUS\s+ROWS\s+FILE OR ERROR/);
    expect(result.stdout).toMatch(/requests\s+collected\s+\d+\s+logs\/requests\.jsonl/);
    expect(result.stdout).not.toContain("PK\u0003\u0004");
    const zip = unzip(new Uint8Array(await readFile(file)));
    expect(JSON.parse(zip["manifest.json"] ?? "{}")).toMatchObject({ window: { since: "30m" } });
  });

  it("answers JSON with --output json: the path, the size and the manifest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-download-"));
    const result = await cli([...flags, "--output-file", dir, "--output", "json"]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as {
      file: string;
      bytes: number;
      contentType: string;
      contents: SiteDiagnosticsManifest;
    };
    expect(body.file).toMatch(new RegExp(`^${dir}/phoenix-web-prod-diagnostics-\\d{8}T\\d{6}Z\\.zip$`));
    expect(body.contentType).toBe("application/zip");
    expect((await readFile(body.file)).byteLength).toBe(body.bytes);
    expect(body.contents.site.name).toBe("phoenix-web-prod");
  });

  it("names the file after the site and the time in the current folder by default", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-download-"));
    let stdout = "";
    const code = await main(flags, {
      env: apiSettings(stack),
      cwd: dir,
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
    });
    expect(code).toBe(0);
    const written = await readdir(dir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^phoenix-web-prod-diagnostics-\d{8}T\d{6}Z\.zip$/);
    expect(stdout).toContain(`Wrote ${join(dir, written[0] ?? "")}`);
  });

  it("says which site is unknown with the usage exit code", async () => {
    const result = await cli([
      "logs",
      "download",
      "--name",
      "phoenix-typo",
      "--resource-group",
      "rg-phoenix-prod",
    ]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('site "phoenix-typo" was not found in resource group "rg-phoenix-prod"');
  });
});
