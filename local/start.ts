/**
 * `npm start`: builds the app, brings up the local stack (Azurite, the local Azure estate, the local
 * Functions host on http://127.0.0.1:7071), runs the daily health check once and prints its report,
 * then keeps everything running, timers on schedule, until Ctrl-C stops every process it started.
 */
import { spawn, spawnSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ScenarioName, scenarioNames, scenarios } from "./estate/index.ts";
import { startLocalStack } from "./stack.ts";
import { createLocalTls, tlsEnv } from "./tls.ts";

const help = `npm start -- [options]

Starts the local stack and runs the daily health check once against the demo estate.

Options:
  --scenario NAME   start the estate in a named scenario (default: healthy)
  --port N          Functions host port (default: 7071)
  --verbose         print every log line of the stack's processes
  -h, --help        show this help

Scenarios:
${scenarioNames.map((name) => `  ${name.padEnd(20)} ${scenarios[name].description}`).join("\n")}`;

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "healthy" },
    port: { type: "string", default: "7071" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(help);
  process.exit(0);
}
if (!(scenarioNames as readonly string[]).includes(values.scenario)) {
  console.error(`unknown scenario "${values.scenario}"\n\n${help}`);
  process.exit(64);
}
const port = Number(values.port);

console.log("Building the app…");
const built = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { stdio: "inherit" });
if (built.status !== 0) process.exit(built.status ?? 1);

// Children (the host) inherit NODE_EXTRA_CA_CERTS and trust the estate; nothing else does.
Object.assign(process.env, tlsEnv(await createLocalTls()));

console.log(`Starting Azurite, the local Azure estate (scenario ${values.scenario}) and the Functions host…`);
const stack = await startLocalStack({
  scenario: values.scenario as ScenarioName,
  hostPort: port,
  log: (source, line) => {
    if (values.verbose || (source === "host" && /\[(warn|error)/i.test(line)))
      console.log(`[${source}] ${line}`);
  },
});

const stateFile = resolve(".local/stack.json");
await writeFile(
  stateFile,
  JSON.stringify(
    {
      pid: process.pid,
      hostUrl: stack.hostUrl,
      settings: stack.settings,
      caPath: process.env.NODE_EXTRA_CA_CERTS,
    },
    null,
    2,
  ),
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the local stack…");
  await stack.close();
  await rm(stateFile, { force: true });
  console.log("Stopped.");
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

console.log(`
Local stack is up:
  Functions host   ${stack.hostUrl}   (functions: ${stack.hostUrl}/admin/functions)
  Azure estate     ${stack.estate.url}   (scenario ${values.scenario})
  Emails           ${join(stack.outboxDir)}
`);
console.log("Running the daily health check now, as an operator would (phoenix-ops health-check)…\n");
// The CLI calls the app's API with a token from the estate's managed identity: the one path every
// caller takes. Its exit code says the estate's health (1 warning, 2 critical), not a failure of the stack.
// Asynchronously: the estate and Azurite answer from this very process.
await new Promise<void>((resolveRun) => {
  spawn(
    process.execPath,
    ["dist/cli.cjs", "health-check", "--environment", "prod", "--components", "webapp,api,database"],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        PHOENIX_API_URL: stack.hostUrl,
        AZURE_CLIENT_ID: stack.settings.AZURE_CLIENT_ID,
        IDENTITY_ENDPOINT: stack.settings.IDENTITY_ENDPOINT,
        IDENTITY_HEADER: stack.settings.IDENTITY_HEADER,
      },
    },
  ).on("exit", () => resolveRun());
});
console.log(`Try it yourself:
  npx phoenix-ops health-check --environment prod --components webapp,api,database
  npx phoenix-ops metrics list --resource <a resource id> --metric CpuPercentage --interval PT1H
  npx phoenix-ops --help

The stack keeps running (the health-check timer ticks hourly, UTC). Press Ctrl-C to stop.`);
