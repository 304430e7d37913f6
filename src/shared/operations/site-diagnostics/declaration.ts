import { z } from "zod";
import { isoDurationMs, isoDurationPattern } from "../../durations.ts";
import { BinaryFile, defineProcedure } from "../../procedures/declaration.ts";
import { tableText } from "../../render/table.ts";
import { unzipText, zipTexts } from "../../zip.ts";
import { type SiteDiagnosticsManifest, collectSiteDiagnostics, manifestPath } from "./collect.ts";

const shortDuration = /^(\d+)(m|h|d)$/;
const shortUnits: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const maxSinceMs = 30 * 86_400_000;

/** `30m`, `1h`, `2d` as `az` and people write them, or an ISO 8601 duration; 0 for anything else. */
export function sinceMs(text: string): number {
  const short = shortDuration.exec(text);
  if (short) return Number(short[1]) * (shortUnits[short[2] ?? ""] ?? 0);
  return isoDurationPattern.test(text) ? isoDurationMs(text) : 0;
}

const since = z
  .string()
  .trim()
  .refine((text) => {
    const ms = sinceMs(text);
    return ms >= 60_000 && ms <= maxSinceMs;
  }, "a duration such as 30m, 1h, 2d or PT1H, from 1 minute to 30 days");

export const zipContentType = "application/zip";

/** The manifest inside a diagnostics zip. */
export function manifestOf(file: BinaryFile): SiteDiagnosticsManifest | undefined {
  const text = unzipText(file.bytes, manifestPath);
  return text === undefined ? undefined : (JSON.parse(text) as SiteDiagnosticsManifest);
}

/** `20261202T040500Z`: sorts, and is safe in a file name everywhere. */
function stamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

/**
 * The guide's `az webapp log download --name $APP_NAME --resource-group $RESOURCE_GROUP`, read with
 * the app's managed identity instead of the site's Kudu publishing credentials.
 */
export const logsDownload = defineProcedure({
  name: "logs download",
  summary: "A zip of a web app's logs, recent metrics and configuration (az webapp log download)",
  description:
    "The zip holds the site's App Service log tables (AppServiceHTTPLogs, AppServiceConsoleLogs, AppServiceAppLogs) and its Application Insights requests and exceptions from the environment's Log Analytics workspace, its metrics, its site configuration and the names of its app settings (never their values). manifest.json lists every file with its row count, and each source that could not be read with the reason. The CLI writes the zip to --output-file (default: <name>-diagnostics-<time>.zip in the current folder).",
  input: z
    .object({
      name: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$/,
          "a web app name: 2 to 60 letters, digits or hyphens",
        )
        .describe("the web app's name"),
      resourceGroup: z
        .string()
        .regex(/^[-\w.()]{1,90}$/, "a resource group name")
        .describe("the web app's resource group (an environment's in the ops policy)"),
      since: since.default("1h").describe("how far back to collect: 30m, 1h, 2d or an ISO 8601 duration"),
    })
    .strict(),
  ports: ["siteConfig", "metrics", "logs"],
  async run(ports, input, context): Promise<BinaryFile> {
    const { manifest, entries } = await collectSiteDiagnostics(
      {
        ...ports,
        policy: context.policy,
        clock: context.clock,
        logger: context.logger,
        actor: context.actor,
        abortSignal: context.abortSignal,
      },
      {
        name: input.name,
        resourceGroup: input.resourceGroup,
        since: input.since,
        sinceMs: sinceMs(input.since),
      },
    );
    context.logger.info("diagnostics collected", {
      site: manifest.site.resourceId,
      files: manifest.files.length,
      failed: manifest.sources.filter((s) => s.status === "failed").map((s) => s.source),
    });
    return new BinaryFile(
      zipContentType,
      `${input.name}-diagnostics-${stamp(manifest.collectedAt)}.zip`,
      zipTexts(entries, { modified: new Date(manifest.collectedAt) }),
    );
  },
  table: (file) => {
    const manifest = manifestOf(file);
    if (!manifest) return "The zip has no manifest.\n";
    const failures = manifest.sources.filter((s) => s.status === "failed").length;
    return `${manifest.site.name} (${manifest.site.resourceGroup}), ${manifest.window.start} to ${manifest.window.end}\n\n${tableText(
      [
        ["SOURCE", "STATUS", "ROWS", "FILE OR ERROR"],
        ...manifest.sources.map((s) => [
          s.source,
          s.status,
          s.rows === undefined ? "" : `${s.rows}${s.truncated ? "+" : ""}`,
          s.file ?? s.error ?? "",
        ]),
      ],
      "No sources.\n",
    )}${failures > 0 ? `\n${failures} of ${manifest.sources.length} sources could not be read; manifest.json says why.\n` : ""}`;
  },
  changesEstate: false,
  http: { method: "GET", route: "sites/{name}/diagnostics", auth: "Ops.Reader" },
  cli: { outputFile: { contents: (file) => manifestOf(file) ?? null } },
});
