/**
 * The local stack: Azurite, the local Azure estate and the local Functions host, wired together the
 * way Azure wires the real ones (app settings, a managed-identity endpoint, storage). Used by
 * `npm start`, the CLI's local mode, the end-to-end tests and the benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { type Azurite, startAzurite } from "./azurite.ts";
import { phoenixOpsApi } from "./estate/auth/app-registrations.ts";
import { type Estate, type ScenarioName, demoPolicy, startEstate } from "./estate/index.ts";

export interface LocalStackOptions {
  scenario?: ScenarioName;
  /** Where state files (policy, outbox) go; default .local. */
  workDir?: string;
  /** Functions host port; 7071 like `func start`, 0 for a free one. */
  hostPort?: number;
  /** Start the Functions host (default true); the CLI's local mode needs only Azurite and the estate. */
  withHost?: boolean;
  /** Run timers on their schedules (default true; tests drive them through the admin API). */
  enableTimers?: boolean;
  /** The built app the host loads. */
  appPath?: string;
  estateLatencyMs?: number;
  /** Lines from the stack's processes. */
  log?: (source: "azurite" | "estate" | "host", line: string) => void;
  /** Changes to the demo policy before the app sees it, e.g. a test's schedule hour. */
  policy?: (policy: ReturnType<typeof demoPolicy>) => unknown;
  /** Extra app settings, e.g. for a test. */
  settings?: Record<string, string>;
}

export interface LocalStack {
  estate: Estate;
  azurite: Azurite;
  /** http://127.0.0.1:port, when the host runs. */
  hostUrl: string | undefined;
  /** The app settings the app runs with (also what the CLI needs to reach the stack). */
  settings: Record<string, string>;
  outboxDir: string;
  policyPath: string;
  close(): Promise<void>;
}

/** The client id of the app's user-assigned managed identity in the demo estate. */
export const LOCAL_MANAGED_IDENTITY_CLIENT_ID = "5e0c3a2b-8d4f-4a1e-9b6c-7f2d1e0a9c8b";

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const workDir = resolve(options.workDir ?? ".local");
  const outboxDir = join(workDir, "outbox");
  await mkdir(outboxDir, { recursive: true });
  const log = options.log ?? (() => undefined);

  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    const [azurite, estate] = await Promise.all([
      startAzurite({ inMemory: true, log: (line) => log("azurite", line) }),
      startEstate({
        scenario: options.scenario ?? "healthy",
        outboxDir,
        latencyMs: options.estateLatencyMs ?? 0,
        log: (line) => log("estate", line),
      }),
    ]);
    closers.push(
      () => azurite.close(),
      () => estate.close(),
    );

    const policyPath = join(workDir, `ops-policy.${randomUUID().slice(0, 8)}.json`);
    const policy = options.policy ? options.policy(demoPolicy(estate.url)) : demoPolicy(estate.url);
    await writeFile(policyPath, `${JSON.stringify(policy, null, 2)}\n`);
    closers.push(async () => {
      const { rm } = await import("node:fs/promises");
      await rm(policyPath, { force: true });
    });

    const withHost = options.withHost !== false;
    const requestedPort = options.hostPort ?? 7071;
    const hostPort = withHost ? (requestedPort === 0 ? await freePort() : requestedPort) : 0;
    const settings: Record<string, string> = {
      FUNCTIONS_WORKER_RUNTIME: "node",
      AzureWebJobsStorage: azurite.connectionString,
      PHOENIX_CREDENTIAL: "managed-identity",
      AZURE_CLIENT_ID: LOCAL_MANAGED_IDENTITY_CLIENT_ID,
      // The App Service managed-identity contract: the app's credential code runs exactly as in Azure.
      IDENTITY_ENDPOINT: estate.identityEndpoint,
      IDENTITY_HEADER: estate.identityHeader,
      PHOENIX_POLICY_PATH: policyPath,
      PHOENIX_ARM_ENDPOINT: estate.url,
      PHOENIX_METRICS_ENDPOINT: estate.url,
      PHOENIX_EMAIL_ENDPOINT: estate.url,
      PHOENIX_EMAIL_SENDER: "DoNotReply@ops.phoenixvc.tech",
      PHOENIX_LOGS_ENDPOINT: estate.url,
      // Operator endpoints accept the estate's Entra-style tokens for the Phoenix Ops API registration.
      PHOENIX_AUTH_TENANT_ID: estate.tenantId,
      PHOENIX_AUTH_AUTHORITY_HOST: estate.url,
      PHOENIX_AUTH_AUDIENCES: `${phoenixOpsApi.appIdUri},${phoenixOpsApi.clientId}`,
      ...(withHost ? { PHOENIX_PUBLIC_BASE_URL: `http://127.0.0.1:${hostPort}` } : {}),
      ...options.settings,
    };

    let hostUrl: string | undefined;
    if (withHost) {
      const host = spawnHost(
        options.appPath ?? "dist/main.cjs",
        hostPort,
        options.enableTimers !== false,
        settings,
        (line) => log("host", line),
      );
      closers.push(() => stopChild(host));
      hostUrl = `http://127.0.0.1:${hostPort}`;
      await waitForHost(hostUrl, host);
    }
    return { estate, azurite, hostUrl, settings, outboxDir, policyPath, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function spawnHost(
  appPath: string,
  port: number,
  enableTimers: boolean,
  settings: Record<string, string>,
  log: (line: string) => void,
): ChildProcess {
  const args = ["--import", "tsx", "local/functions-host/main.ts", "--app", appPath, "--port", String(port)];
  if (!enableTimers) args.push("--no-timers");
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        log(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    });
  }
  return child;
}

async function waitForHost(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the Functions host exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${url}/admin/host/status`);
      if (response.ok) {
        const status = (await response.json()) as { state?: string };
        if (status.state === "Running") return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the Functions host did not start at ${url} within 60 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
