/**
 * Builds the deployable bundle with esbuild: dist/main.cjs (the Functions app) and dist/cli.cjs (the
 * operator CLI). Only src/ goes in; the local stack (local/) never does, and a check below proves it.
 */
import { type BuildOptions, build } from "esbuild";
import { readFile } from "node:fs/promises";

const { version } = JSON.parse(await readFile("package.json", "utf8")) as { version: string };

const common: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  // Supplied by the Functions worker at run time, never bundled.
  external: ["@azure/functions-core"],
  metafile: true,
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  define: { "import.meta.url": "importMetaUrl", PHOENIX_OPS_VERSION: JSON.stringify(version) },
  inject: ["scripts/cjs-import-meta.js"],
};

const results = await Promise.all([
  build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/main.cjs" }),
  build({
    ...common,
    entryPoints: ["src/cli/bin.ts"],
    outfile: "dist/cli.cjs",
    banner: { js: "#!/usr/bin/env node" },
  }),
]);

const leaked = results
  .flatMap((r) => Object.keys(r.metafile?.inputs ?? {}))
  .filter((input) => input.startsWith("local/") || input.startsWith("test/"));
if (leaked.length > 0) {
  console.error(`the bundle must not contain the local stack or tests: ${leaked.join(", ")}`);
  process.exit(1);
}
const size = (await readFile("dist/main.cjs")).byteLength;
console.log(`built dist/main.cjs (${(size / 1024).toFixed(0)} KiB) and dist/cli.cjs`);
