/**
 * The CLI's local mode, for a checkout with no settings naming an app: runs `dist/cli.cjs` against the
 * local stack, the running one (`npm start` leaves .local/stack.json) or one started for this command.
 * The CLI itself is the same build that runs against Azure; only its settings differ. bin/phoenix-ops.js
 * calls this only once the command line has been parsed and a command needs the app.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type ScenarioName, scenarioNames } from "./estate/index.ts";
import { startLocalStack } from "./stack.ts";
import { createLocalTls, tlsEnv } from "./tls.ts";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist", "cli.cjs");
const args = process.argv.slice(2);

interface RunningStack {
  pid: number;
  hostUrl: string;
  settings: Record<string, string>;
  caPath: string;
}

function runningStack(): RunningStack | undefined {
  const file = join(root, ".local", "stack.json");
  if (!existsSync(file)) return undefined;
  try {
    const stack = JSON.parse(readFileSync(file, "utf8")) as RunningStack;
    process.kill(stack.pid, 0); // throws when that `npm start` is gone
    return stack;
  } catch {
    return undefined;
  }
}

function runCli(env: Record<string, string>): Promise<number> {
  return new Promise((resolveCode) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: "inherit",
      env: { ...process.env, ...env },
    });
    child.on("exit", (code) => resolveCode(code ?? 3));
  });
}

if (!existsSync(cli)) {
  const built = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (built.status !== 0) process.exit(3);
}

const running = runningStack();
let code: number;
if (running) {
  process.stderr.write("Using the local estate of the running `npm start`.\n");
  code = await runCli({
    ...running.settings,
    PHOENIX_API_URL: running.hostUrl,
    NODE_EXTRA_CA_CERTS: running.caPath,
  });
} else {
  const requested = process.env.PHOENIX_LOCAL_SCENARIO ?? "healthy";
  if (!(scenarioNames as readonly string[]).includes(requested)) {
    process.stderr.write(`PHOENIX_LOCAL_SCENARIO must be one of ${scenarioNames.join(", ")}\n`);
    process.exit(64);
  }
  const tls = await createLocalTls();
  Object.assign(process.env, tlsEnv(tls));
  process.stderr.write(
    `No Azure settings: starting a local estate (scenario ${requested}) for this command.\n`,
  );
  // Every command calls the app's HTTP API, so the stack includes the Functions host.
  const stack = await startLocalStack({
    scenario: requested as ScenarioName,
    withHost: true,
    hostPort: 0,
    enableTimers: false,
    workDir: join(root, ".local"),
  });
  try {
    code = await runCli({
      ...stack.settings,
      PHOENIX_API_URL: stack.hostUrl ?? "",
      NODE_EXTRA_CA_CERTS: tls.certPath,
    });
  } finally {
    await stack.close();
  }
}
process.exit(code);
