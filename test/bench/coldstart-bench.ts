/**
 * Cold start of the deployable bundle: the time a fresh Node process takes to require `dist/main.cjs`
 * (module initialisation and every function registration, with a stand-in `@azure/functions-core`, as
 * the Functions worker loads an app), beside a minimal one-function v4 app bundled the same way. Each is
 * loaded COLDSTART_RUNS times (default 10), alternating, and the medians are compared. A script that
 * prints figures, not a test; it exits 1 when the ratio is over COLDSTART_MAX_RATIO (default 3).
 */
import { execFileSync } from "node:child_process";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { bundleOptions } from "../../scripts/bundle-options.ts";

const runs = Number(process.env.COLDSTART_RUNS ?? 10);
const maxRatio = Number(process.env.COLDSTART_MAX_RATIO ?? 3);
const stub = path.resolve("test/bench/coldstart-core-stub.js");
const floorBundle = path.resolve(".local/bench/coldstart-floor.cjs");
const appBundle = path.resolve("dist/main.cjs");

execFileSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { stdio: "inherit" });
await mkdir(path.dirname(floorBundle), { recursive: true });
await build({
  ...bundleOptions,
  sourcemap: false,
  entryPoints: ["test/bench/coldstart-floor.ts"],
  outfile: floorBundle,
});

// Measured inside the child: from just before `require` to just after, so node's own start-up (the
// same for both) is left out. The environment is the one an app in Azure starts with: no settings read.
// For the app, also what its first invocation then pays: dist/app.cjs (the procedures, edges and
// composition) and dist/sdk.cjs (the Azure SDKs, compiled; each SDK runs when first used).
const probe = `
const path = require("node:path");
const time = (f) => { const t0 = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t0) / 1e6; };
const ms = time(() => require(process.argv[1]));
const functions = globalThis.__coldstartRegistered.length;
const dir = path.dirname(process.argv[1]);
const then = process.argv[2] === "app"
  ? { app: time(() => require(path.join(dir, "app.cjs"))), sdk: time(() => require(path.join(dir, "sdk.cjs"))) }
  : {};
process.stdout.write(JSON.stringify({ ms, functions, ...then }));
`;

interface Load {
  ms: number;
  functions: number;
  app?: number;
  sdk?: number;
}

function load(bundle: string, kind: "app" | "floor"): Load {
  const out = execFileSync(
    process.execPath,
    ["--import", pathToFileURL(stub).href, "-e", probe, bundle, kind],
    {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" },
    },
  );
  return JSON.parse(out) as Load;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// One warm-up load of each fills the OS file cache, as a deployed package is before its first start.
load(floorBundle, "floor");
load(appBundle, "app");
const app: number[] = [];
const appCode: number[] = [];
const sdk: number[] = [];
const floor: number[] = [];
let functions = 0;
for (let i = 0; i < runs; i++) {
  const a = load(appBundle, "app");
  functions = a.functions;
  app.push(a.ms);
  appCode.push(a.app ?? NaN);
  sdk.push(a.sdk ?? NaN);
  floor.push(load(floorBundle, "floor").ms);
}

const size = async (file: string) => `${((await stat(file)).size / 1024 / 1024).toFixed(2)} MiB`;
const appMedian = median(app);
const floorMedian = median(floor);
const ratio = appMedian / floorMedian;
const fmt = (v: number[]) => v.map((x) => x.toFixed(1)).join(" ");
console.log(`cold start, median of ${runs} fresh processes (require of the bundle, ms):`);
console.log(
  `  app   dist/main.cjs (${await size(appBundle)}, ${functions} functions): ${appMedian.toFixed(1)} ms  [${fmt(app)}]`,
);
console.log(
  `  floor one-function v4 app (${await size(floorBundle)}): ${floorMedian.toFixed(1)} ms  [${fmt(floor)}]`,
);
console.log(`  ratio ${ratio.toFixed(2)}x (target <= ${maxRatio}x)`);
console.log(`then, on the app's first invocation (not part of the ratio):`);
console.log(`  dist/app.cjs (${await size(path.resolve("dist/app.cjs"))}): ${median(appCode).toFixed(1)} ms`);
console.log(
  `  dist/sdk.cjs (${await size(path.resolve("dist/sdk.cjs"))}), compiled: ${median(sdk).toFixed(1)} ms`,
);
if (ratio > maxRatio) process.exitCode = 1;
