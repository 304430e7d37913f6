/**
 * The esbuild options of every bundle of the app: the deployable bundle (scripts/build.ts) and the
 * cold-start benchmark's floor, which must be bundled the same way to be a fair comparison.
 */
import type { BuildOptions } from "esbuild";
import { readFile } from "node:fs/promises";

const { version } = JSON.parse(await readFile("package.json", "utf8")) as { version: string };

export const bundleOptions: BuildOptions = {
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
