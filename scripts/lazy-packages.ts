/**
 * Cold start: the heavy SDKs (every Azure SDK package but the Functions library, and jose) stay out of
 * the bundle the worker loads. They go into one bundle of their own, dist/sdk.cjs, that is read and
 * compiled the first time any of them is used; and each runs only when first used (esbuild's lazy
 * module wrappers). Most of the cost of loading a large bundle is compiling it, so the SDKs' 6 MiB must
 * not be in dist/main.cjs at all.
 *
 * An import of such a package from src/ resolves to a small stand-in whose exports are getters; the
 * first read of any of them loads dist/sdk.cjs and the real package. esbuild reads a CommonJS import's
 * names at each use site, so `new WebSiteManagementClient(...)` in the composition is the first time
 * that SDK runs. Every package is in dist/sdk.cjs once, so there is one RestError class, one pipeline.
 *
 * Why not in the source: the code under test runs as ES modules (Vitest, tsx), where a synchronous
 * lazy require does not exist, and the composition and adapters are synchronous by design. The
 * stand-in keeps the source plain and the laziness a property of the bundle; the cold-start benchmark
 * (npm run bench:coldstart) shows it.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type { Plugin } from "esbuild";

const requireHere = createRequire(path.resolve("package.json"));

/** Packages that stay eager: the Functions library registers the triggers at load. */
const eager = new Set(["@azure/functions", "@azure/functions-core"]);

export function isLazyPackage(specifier: string): boolean {
  if (eager.has(specifier)) return false;
  return specifier.startsWith("@azure/") || specifier === "jose";
}

export const sdkBundleName = "sdk.cjs";

/** The stand-ins, for dist/main.cjs and dist/cli.cjs; `used` collects the packages deferred. */
export function lazyPackages(used: Set<string>): Plugin {
  return {
    name: "lazy-packages",
    setup(build) {
      build.onResolve({ filter: /^(@azure\/|jose$)/ }, (args) => {
        if (!isLazyPackage(args.path)) return undefined;
        if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        used.add(args.path);
        return { path: args.path, namespace: "lazy-package" };
      });
      build.onLoad({ filter: /.*/, namespace: "lazy-package" }, (args) => {
        // The names are read from the package at build time; reading them at run time would load it.
        const names = Object.keys(requireHere(args.path) as object).filter((n) => n !== "default");
        const getters = names
          .map((n) => `${JSON.stringify(n)}: { enumerable: true, get: () => load()[${JSON.stringify(n)}] }`)
          .join(",\n  ");
        const contents = `"use strict";
let loaded;
const load = () => (loaded ??= require(require("node:path").join(__dirname, ${JSON.stringify(sdkBundleName)}))[${JSON.stringify(args.path)}]());
Object.defineProperty(exports, "__esModule", { value: true });
Object.defineProperties(exports, {
  ${getters}
});
`;
        return { contents, loader: "js" };
      });
    },
  };
}

/** The entry of dist/sdk.cjs: one loader per deferred package. */
export function sdkEntry(used: ReadonlySet<string>): Plugin {
  return {
    name: "sdk-entry",
    setup(build) {
      build.onResolve({ filter: /^phoenix-sdk-entry$/ }, () => ({ path: "sdk", namespace: "sdk-entry" }));
      build.onLoad({ filter: /.*/, namespace: "sdk-entry" }, () => ({
        contents: `module.exports = {\n${[...used]
          .sort()
          .map((p) => `  ${JSON.stringify(p)}: () => require(${JSON.stringify(p)}),`)
          .join("\n")}\n};\n`,
        loader: "js",
        resolveDir: process.cwd(),
      }));
    },
  };
}

/**
 * zod's error messages in English only: its other forty-odd locales are a third of its size in the
 * bundle, compiled at every start and never used (the app never calls `z.config` with a locale).
 */
export function zodEnglishOnly(): Plugin {
  return {
    name: "zod-english-only",
    setup(build) {
      build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
        contents: 'export { default as en } from "./en.js";\n',
        loader: "js",
      }));
    },
  };
}
