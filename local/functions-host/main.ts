/**
 * Runs the local Functions host, as `func start` would:
 *
 *   npx tsx local/functions-host/main.ts --app dist/main.cjs [--port 7071] [--no-timers] [--app-root DIR]
 *
 * It prints the function list the way `func start` does, logs to stdout, and stops cleanly on
 * SIGINT/SIGTERM (a second signal exits at once).
 */
import { parseArgs } from "node:util";
import { startFunctionsHost, type RegisteredFunctionInfo } from "./index.ts";

const usage =
  "Usage: tsx local/functions-host/main.ts --app <bundle.cjs> [--port 7071] [--no-timers] [--app-root <dir>]";

function describe(f: RegisteredFunctionInfo): string {
  if (f.error) return `${f.name}: [error] ${f.error}`;
  const disabled = f.disabled ? " (disabled)" : "";
  if (f.url) {
    const methods = f.methods ? f.methods.join(",") : "ALL";
    return `${f.name}: [${methods}] ${f.url}${disabled}`;
  }
  return `${f.name}: ${f.triggerType}${disabled}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: "string" },
      port: { type: "string" },
      "app-root": { type: "string" },
      "no-timers": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help || !values.app) {
    process.stdout.write(`${usage}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(`--port must be a port number, not "${values.port}"`);
  }

  const host = await startFunctionsHost({
    appPath: values.app,
    ...(values["app-root"] ? { appRoot: values["app-root"] } : {}),
    ...(port !== undefined ? { port } : {}),
    enableTimers: !values["no-timers"],
  });
  process.stdout.write(`\nFunctions:\n${host.functions.map((f) => `  ${describe(f)}`).join("\n")}\n\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping the host...\n`);
    host.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Host did not stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
