#!/usr/bin/env node
// The phoenix-ops CLI. Configured (settings in the environment or local.settings.json): runs the
// built CLI against Azure. Not configured, in a checkout of the project: runs it against the local
// estate (the one `npm start` runs, or one started for the command).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli.cjs");
const configured =
  [
    "PHOENIX_POLICY_PATH",
    "AzureWebJobsStorage",
    "AzureWebJobsStorage__accountName",
    "PHOENIX_ARM_ENDPOINT",
  ].some((key) => process.env[key]) || existsSync(join(process.cwd(), "local.settings.json"));

let command;
if (configured || !existsSync(join(root, "local", "cli-local.ts"))) {
  if (!existsSync(cli)) {
    console.error("phoenix-ops: dist/cli.cjs is missing; run `npm run build` first");
    process.exit(3);
  }
  const env = { ...process.env };
  const localSettings = join(process.cwd(), "local.settings.json");
  if (existsSync(localSettings)) {
    // Like `func start`: local.settings.json Values, with the environment taking precedence.
    const values = JSON.parse(readFileSync(localSettings, "utf8")).Values ?? {};
    for (const [key, value] of Object.entries(values)) if (env[key] === undefined) env[key] = String(value);
  }
  command = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: "inherit", env });
} else {
  const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
  command = spawnSync(
    process.execPath,
    [tsx, join(root, "local", "cli-local.ts"), ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
}
process.exit(command.status ?? 3);
