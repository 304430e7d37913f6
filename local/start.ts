/**
 * `npm start`: builds the app, brings up the local stack (Azurite, the local Azure estate, the local
 * Functions host on http://127.0.0.1:7071), runs the daily health check once and prints its report,
 * then keeps everything running, timers on schedule, until Ctrl-C stops every process it started.
 *
 * Nothing it starts outlives it: Ctrl-C, SIGTERM or an uncaught error close the stack; if this
 * process is killed outright its children notice (see PARENT_WATCH_IMPORT) and stop. When Azurite or
 * the host dies on its own, it says so and stops the rest with exit code 1. Mistakes on the command
 * line get one line and exit code 64 (`--verbose` adds the stack trace).
 *
 * Two environment variables exist for tests of this script: PHOENIX_LOCAL_DIR (state folder instead
 * of .local) and PHOENIX_START_SKIP_BUILD=1 (dist/ is already built).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
// Only the scenario list, not the estate: `--help` and usage errors answer without loading it.
import { type ScenarioName, scenarioNames, scenarios } from "./estate/scenarios.ts";
import type { LocalStack, StackProcessExit } from "./stack.ts";

const USAGE_HINT = "see npm start -- --help";
const EXIT_USAGE = 64;

const help = `npm start -- [options]

Starts the local stack and runs the daily health check once against the demo estate.

Options:
  --scenario NAME   start the estate in a named scenario (default: healthy)
  --port N          Functions host port (default: 7071; 0 for a free one)
  --verbose         print every log line of the stack's processes (and stack traces of errors)
  -h, --help        show this help

Scenarios:
${scenarioNames.map((name) => `  ${name.padEnd(20)} ${scenarios[name].description}`).join("\n")}`;

// Read before parsing, so that a parse error can show its stack too.
const verbose = process.argv.slice(2).includes("--verbose");

/** One line on stderr (plus the stack with --verbose), then exit. */
function fail(message: string, code: number, error?: unknown): never {
  process.stderr.write(`npm start: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}
function usageError(message: string, error?: unknown): never {
  fail(`${message} (${USAGE_HINT})`, EXIT_USAGE, error);
}

let values: { scenario: string; port: string; verbose: boolean; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      scenario: { type: "string", default: "healthy" },
      port: { type: "string", default: "7071" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  // Node's messages go on with advice about positionals that does not apply to npm start.
  const message = error instanceof Error ? (error.message.split(/\.\s/)[0] ?? error.message) : String(error);
  usageError(message.replace(/\.$/, ""), error);
}
if (values.help) {
  console.log(help);
  process.exit(0);
}
if (!(scenarioNames as readonly string[]).includes(values.scenario)) {
  usageError(`unknown scenario "${values.scenario}" (scenarios: ${scenarioNames.join(", ")})`);
}
if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) {
  usageError(`--port must be a port number from 0 to 65535, not "${values.port}"`);
}
const port = Number(values.port);
const scenario = values.scenario as ScenarioName;

const { assertPortFree, PortInUseError, startLocalStack } = await import("./stack.ts");
const portInUse = (busy: number): never =>
  usageError(`port ${busy} is in use by another process: stop it or choose another port with --port N`);
try {
  // Before anything else: a second `npm start` must not build or start anything.
  if (port !== 0) await assertPortFree(port);
} catch (error) {
  if (error instanceof PortInUseError) portInUse(port);
  usageError(`port ${port} cannot be used: ${error instanceof Error ? error.message : String(error)}`, error);
}

const workDir = resolve(process.env.PHOENIX_LOCAL_DIR ?? ".local");
const stateFile = resolve(workDir, "stack.json");
let stack: LocalStack | undefined;
let stopping: Promise<never> | undefined;

/** Closes whatever has started, removes the state file, exits. Runs once. */
function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    if (stack) {
      process.stdout.write("\nStopping the local stack…\n");
      await stack.close().catch(() => undefined);
      await removeStateFile();
      process.stdout.write("Stopped.\n");
    }
    process.exit(code);
  })();
  return stopping;
}

// Until the stack is up, a signal or an error ends the process at once: the "exit" hooks of the
// stack and the TLS folder remove what they made, and the children watch this process.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.on(signal, () => void shutdown(stack ? 0 : code));
}
const crash = (error: unknown): void => {
  process.stderr.write(
    `npm start: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  void shutdown(1);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);
// Started through a wrapper (npm, tsx) that is killed outright: its child, this process, is
// re-parented and stops too, so the stack never runs without the terminal that started it.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(1);
}, 1000).unref();

if (process.env.PHOENIX_START_SKIP_BUILD !== "1") {
  console.log("Building the app…");
  const built = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { stdio: "inherit" });
  if (built.status !== 0) fail(`the build failed (exit code ${String(built.status)})`, built.status ?? 1);
}

// Children (the host) inherit NODE_EXTRA_CA_CERTS and trust the estate; nothing else does. The
// folder with the certificate's key is removed when this process exits.
const { createLocalTls, tlsEnv } = await import("./tls.ts");
Object.assign(process.env, tlsEnv(await createLocalTls()));

console.log(`Starting Azurite, the local Azure estate (scenario ${scenario}) and the Functions host…`);
const names: Record<StackProcessExit["source"], string> = { azurite: "Azurite", host: "the Functions host" };
try {
  stack = await startLocalStack({
    scenario,
    workDir,
    hostPort: port,
    log: (source, line) => {
      if (values.verbose || (source === "host" && /\[(warn|error)/i.test(line)))
        console.log(`[${source}] ${line}`);
    },
    onUnexpectedExit: ({ source, code, signal }) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      process.stderr.write(`npm start: ${names[source]} ${how}; stopping the local stack\n`);
      void shutdown(1);
    },
  });
} catch (error) {
  if (error instanceof PortInUseError) portInUse(error.port);
  fail(`the local stack did not start: ${error instanceof Error ? error.message : String(error)}`, 1, error);
}
if (stopping) await stopping; // a signal arrived while it started

// The estate's identity header and the app's settings: readable by this user only, gone on exit.
await rm(stateFile, { force: true });
await writeFile(
  stateFile,
  JSON.stringify(
    {
      pid: process.pid,
      hostUrl: stack.hostUrl,
      settings: stack.settings,
      caPath: process.env.NODE_EXTRA_CA_CERTS,
      pids: stack.pids,
    },
    null,
    2,
  ),
  { mode: 0o600 },
);
process.on("exit", () => {
  if (stateFileIsOurs()) rmSync(stateFile, { force: true });
});

/** Only this run's file: another `npm start` (on another port) may have written its own since. */
async function removeStateFile(): Promise<void> {
  const text = await readFile(stateFile, "utf8").catch(() => "");
  if (text && (JSON.parse(text) as { pid?: number }).pid === process.pid)
    await rm(stateFile, { force: true });
}
function stateFileIsOurs(): boolean {
  try {
    return (JSON.parse(readFileSync(stateFile, "utf8")) as { pid?: number }).pid === process.pid;
  } catch {
    return false;
  }
}

console.log(`
Local stack is up:
  Functions host   ${stack.hostUrl}   (functions: ${stack.hostUrl}/admin/functions)
  Azure estate     ${stack.estate.url}   (scenario ${scenario})
  Emails           ${stack.outboxDir}
`);
console.log("Running the daily health check now, as an operator would (phoenix-ops health-check)…\n");
// The CLI calls the app's API with a token from the estate's managed identity: the one path every
// caller takes. Its exit code says the estate's health (1 warning, 2 critical), not a failure of the stack.
// Asynchronously: the estate and Azurite answer from this very process.
const running = stack;
await new Promise<void>((resolveRun) => {
  spawn(
    process.execPath,
    ["dist/cli.cjs", "health-check", "--environment", "prod", "--components", "webapp,api,database"],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        PHOENIX_API_URL: running.hostUrl,
        AZURE_CLIENT_ID: running.settings.AZURE_CLIENT_ID,
        IDENTITY_ENDPOINT: running.settings.IDENTITY_ENDPOINT,
        IDENTITY_HEADER: running.settings.IDENTITY_HEADER,
      },
    },
  ).on("exit", () => resolveRun());
});
if (!stopping)
  console.log(`Try it yourself:
  npx phoenix-ops health-check --environment prod --components webapp,api,database
  npx phoenix-ops metrics list --resource <a resource id> --metric CpuPercentage --interval PT1H
  npx phoenix-ops --help
  npm run az -- webapp list -o table          (Debian's azure-cli against this estate)

The stack keeps running (the health-check timer ticks hourly, UTC). Press Ctrl-C to stop.`);
