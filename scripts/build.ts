/**
 * Builds the deployable bundle with esbuild. Only src/ goes in; the local stack (local/) never does,
 * and a check below proves it.
 *
 * - dist/main.cjs, what the Functions worker loads: the triggers, written down here from the procedure
 *   registry (src/functions/triggers.ts), registered with handlers that load dist/app.cjs on the first
 *   invocation. Indexing the app so costs about what a one-function app costs (npm run bench:coldstart).
 * - dist/app.cjs: the procedures, the edges and the composition (src/functions/app-handlers.ts).
 * - dist/cli.cjs: the operator CLI.
 * - dist/sdk.cjs: the Azure SDKs, which app.cjs and cli.cjs load on first use (lazy-packages.ts).
 * - dist/telemetry.cjs: OpenTelemetry (src/shared/telemetry), loaded at start only when telemetry is on.
 */
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { bundleOptions as common } from "./bundle-options.ts";
import { lazyPackages, sdkEntry, zodEnglishOnly } from "./lazy-packages.ts";

const deferred = new Set<string>();
const { triggerSpecs } = await import("../src/functions/register.ts");
const { procedures } = await import("../src/shared/procedures/registry.ts");
// Telemetry, when on, starts before the triggers are registered (its Functions instrumentation sets the
// app up); when off (mode.ts), dist/telemetry.cjs is never read.
const mainEntry = `import * as functions from "@azure/functions";
import { registerDeferred } from ${JSON.stringify(path.resolve("src/functions/triggers.ts"))};
import { telemetryMode } from ${JSON.stringify(path.resolve("src/shared/telemetry/mode.ts"))};
const mode = telemetryMode(process.env);
if (mode !== "off") require(require("node:path").join(__dirname, "telemetry.cjs")).startTelemetry(mode, process.env, functions);
registerDeferred(${JSON.stringify(triggerSpecs(procedures))}, () => require(require("node:path").join(__dirname, "app.cjs")).handlers);
`;
const results = await Promise.all([
  build({
    ...common,
    stdin: { contents: mainEntry, resolveDir: process.cwd(), sourcefile: "main-entry.ts", loader: "ts" },
    outfile: "dist/main.cjs",
  }),
  build({ ...common, entryPoints: ["src/shared/telemetry/start.ts"], outfile: "dist/telemetry.cjs" }),
  build({
    ...common,
    plugins: [lazyPackages(deferred), zodEnglishOnly()],
    entryPoints: ["src/functions/app-handlers.ts"],
    outfile: "dist/app.cjs",
  }),
  build({
    ...common,
    plugins: [lazyPackages(deferred), zodEnglishOnly()],
    entryPoints: ["src/cli/bin.ts"],
    outfile: "dist/cli.cjs",
    banner: { js: "#!/usr/bin/env node" },
  }),
]);
results.push(
  await build({
    ...common,
    plugins: [sdkEntry(deferred)],
    entryPoints: ["phoenix-sdk-entry"],
    outfile: "dist/sdk.cjs",
  }),
);

const leaked = results
  .flatMap((r) => Object.keys(r.metafile?.inputs ?? {}))
  .filter((input) => input.startsWith("local/") || input.startsWith("test/"));
if (leaked.length > 0) {
  console.error(`the bundle must not contain the local stack or tests: ${leaked.join(", ")}`);
  process.exit(1);
}
const size = async (file: string) => `${((await readFile(file)).byteLength / 1024).toFixed(0)} KiB`;
console.log(
  `built dist/main.cjs (${await size("dist/main.cjs")}), dist/app.cjs (${await size("dist/app.cjs")}), dist/cli.cjs and dist/sdk.cjs (${await size("dist/sdk.cjs")})`,
);
