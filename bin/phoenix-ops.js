#!/usr/bin/env node
// The phoenix-ops CLI: the built bundle, loaded in this process (so `--help` and usage errors answer at
// once). In a checkout of the project with no settings naming an app, a command that needs one runs
// against the local stack instead: the running `npm start`, or one started for the command.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli.cjs");
const localRunner = join(root, "local", "cli-local.ts");
const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
const inCheckout = existsSync(localRunner) && existsSync(tsx);

if (!existsSync(cli)) {
  if (!inCheckout) {
    console.error("phoenix-ops: dist/cli.cjs is missing; run `npm run build` first");
    process.exit(3);
  }
  const built = spawnSync(process.execPath, [tsx, join(root, "scripts", "build.ts")], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (built.status !== 0) process.exit(3);
}

const localLauncher = inCheckout
  ? (argv) =>
      new Promise((resolveCode) => {
        const child = spawn(process.execPath, [tsx, localRunner, ...argv], { stdio: "inherit" });
        child.on("exit", (code) => resolveCode(code ?? 3));
      })
  : undefined;

const { main } = createRequire(import.meta.url)(cli);
process.exitCode = await main(process.argv.slice(2), { localLauncher });
