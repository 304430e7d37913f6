/**
 * Summarises a V8 .cpuprofile (as test/bench/host-profiler.mjs writes it): self time by function and
 * by script, and inclusive time of the functions named on the command line.
 *
 *   npx tsx test/bench/profile-summary.ts <file.cpuprofile> [top=40] [function names…]
 *
 * BUNDLE=<app.cjs>: frames in that esbuild bundle are named by the module esbuild marks them with
 * (its `// node_modules/…` and `// src/…` comments), so that time is charged to packages and files.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg, ...focus] = process.argv.slice(2);
if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [top] [function names…]");
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node: each sample's delta is charged to the node it landed in.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
// The bundle's module markers: line number (0-based) to module path, in order.
const markers: { line: number; module: string }[] = [];
const bundle = process.env.BUNDLE;
if (bundle) {
  readFileSync(bundle, "utf8")
    .split("\n")
    .forEach((text, line) => {
      const m = /^\/\/ ((?:node_modules|src|local|test)\/\S+\.[cm]?[jt]s)$/.exec(text);
      if (m) markers.push({ line, module: m[1]! });
    });
}
function moduleAt(line: number): string | undefined {
  let lo = 0;
  let hi = markers.length - 1;
  let found: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid]!.line <= line) {
      found = markers[mid]!.module;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
const inBundle = (url: string): boolean => bundle !== undefined && url.endsWith(bundle.split("/").pop()!);
const shortUrl = (url: string, line?: number): string =>
  (inBundle(url) && line !== undefined ? (moduleAt(line) ?? url) : url)
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\//, "~")
    .replace(/^\/work\/main\//, "");
const label = (n: ProfileNode): string =>
  `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url, n.callFrame.lineNumber)}:${n.callFrame.lineNumber + 1}`;

function table(title: string, rows: Map<string, number>, limit = top): void {
  console.log(`\n${title}`);
  for (const [name, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(8)} ms  ${name}`,
    );
  }
}

const byFunction = new Map<string, number>();
const byScript = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  byFunction.set(label(n), (byFunction.get(label(n)) ?? 0) + us);
  const script = shortUrl(n.callFrame.url, n.callFrame.lineNumber) || `(${n.callFrame.functionName})`;
  byScript.set(script, (byScript.get(script) ?? 0) + us);
  const pkg = /^~(@[^/]+\/[^/]+|[^/]+)/.exec(script)?.[1] ?? script.split("/").slice(0, 2).join("/");
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}
console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`,
);
table("Self time by function", byFunction);
table("Self time by script", byScript, 25);
table("Self time by package or folder", byPackage, 25);

// Inclusive time of named functions: samples with that function anywhere on their stack (counted once).
if (focus.length > 0) {
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      for (const f of focus) {
        if (!seen.has(f) && n.callFrame.functionName === f) {
          seen.add(f);
          inclusive.set(f, (inclusive.get(f) ?? 0) + (profile.timeDeltas[i] ?? 0));
        }
      }
    }
  });
  table("Inclusive time of the named functions", inclusive);
}
