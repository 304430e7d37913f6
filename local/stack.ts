/**
 * The local stack: Azurite, the local Azure estate and the local Functions host, wired together the
 * way Azure wires the real ones (app settings, a managed-identity endpoint, storage). Used by
 * `npm start`, the CLI's local mode, the end-to-end tests and the benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { type Azurite, PARENT_WATCH_IMPORT, startAzurite } from "./azurite.ts";
import { phoenixOpsApi } from "./estate/auth/app-registrations.ts";
import { type Estate, type ScenarioName, demoPolicy, startEstate } from "./estate/index.ts";
import { processAlive } from "./tls.ts";

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
  /**
   * Changes to the demo policy before the app sees it, e.g. a test's schedule hour. Given the estate,
   * so that a benchmark can seed an environment and describe it in the same policy.
   */
  policy?: (policy: ReturnType<typeof demoPolicy>, estate: Estate) => unknown;
  /** Extra app settings, e.g. for a test. */
  settings?: Record<string, string>;
  /**
   * Called once when Azurite or the host exits on its own after the stack started (not through
   * close()). The stack does not stop the other processes itself: the caller decides.
   */
  onUnexpectedExit?: (exit: StackProcessExit) => void;
}

export interface StackProcessExit {
  source: "azurite" | "host";
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The host's port is taken by another process. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is in use`);
    this.name = "PortInUseError";
  }
}

/** Throws PortInUseError when 127.0.0.1:port (where the host listens) cannot be bound right now. */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(port) : error),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolveFree()));
  });
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
  /** The stack's child processes. */
  pids?: { azurite?: number; host?: number };
  close(): Promise<void>;
}

/** The client id of the app's user-assigned managed identity in the demo estate. */
export const LOCAL_MANAGED_IDENTITY_CLIENT_ID = "5e0c3a2b-8d4f-4a1e-9b6c-7f2d1e0a9c8b";

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const workDir = resolve(options.workDir ?? ".local");
  const outboxDir = join(workDir, "outbox");
  await mkdir(outboxDir, { recursive: true });
  await removeOrphanedPolicies(workDir);
  const log = options.log ?? (() => undefined);
  const withHost = options.withHost !== false;
  const requestedPort = options.hostPort ?? 7071;
  // Before anything starts: a taken port would otherwise only show once the host dies.
  if (withHost && requestedPort !== 0) await assertPortFree(requestedPort);

  let closing = false;
  let reported = false;
  const unexpectedExit = (exit: StackProcessExit): void => {
    if (closing || reported) return;
    reported = true;
    options.onUnexpectedExit?.(exit);
  };
  // What must not outlive this process even when it ends without close() (an uncaught error,
  // process.exit): the policy file and the host. Synchronous, as "exit" listeners must be.
  const onExit: (() => void)[] = [];
  const runOnExit = (): void => {
    for (const run of onExit) run();
  };
  process.on("exit", runOnExit);

  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    closing = true;
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
    closers.length = 0;
    process.removeListener("exit", runOnExit);
  };
  try {
    const [azuriteStart, estateStart] = await Promise.allSettled([
      startAzurite({
        inMemory: true,
        log: (line) => log("azurite", line),
        onUnexpectedExit: (code, signal) => unexpectedExit({ source: "azurite", code, signal }),
      }),
      startEstate({
        scenario: options.scenario ?? "healthy",
        outboxDir,
        latencyMs: options.estateLatencyMs ?? 0,
        log: (line) => log("estate", line),
      }),
    ]);
    // One of the two may have started: close it rather than leave it running.
    if (azuriteStart.status === "fulfilled") closers.push(() => azuriteStart.value.close());
    if (estateStart.status === "fulfilled") closers.push(() => estateStart.value.close());
    if (azuriteStart.status === "rejected") throw azuriteStart.reason;
    if (estateStart.status === "rejected") throw estateStart.reason;
    const azurite = azuriteStart.value;
    const estate = estateStart.value;

    // One file per stack, named after the owning process: a stack that ends without close() (a
    // killed process) leaves its file, and the next stack in this folder removes the files whose
    // owner is gone (see removeOrphanedPolicies). 0600, like every state file of the stack.
    const policyPath = join(workDir, `ops-policy.${process.pid}.${randomUUID().slice(0, 8)}.json`);
    const policy = options.policy ? options.policy(demoPolicy(estate.url), estate) : demoPolicy(estate.url);
    onExit.push(() => rmSync(policyPath, { force: true }));
    await writeFile(policyPath, `${JSON.stringify(policy, null, 2)}\n`, { mode: 0o600 });
    closers.push(() => rm(policyPath, { force: true }));

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
    let hostPid: number | undefined;
    if (withHost) {
      const host = spawnHost(
        options.appPath ?? "dist/main.cjs",
        hostPort,
        options.enableTimers !== false,
        settings,
        (line) => log("host", line),
      );
      hostPid = host.child.pid;
      onExit.push(() => {
        if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill("SIGKILL");
      });
      closers.push(() => stopChild(host.child));
      hostUrl = `http://127.0.0.1:${hostPort}`;
      await waitForHost(hostUrl, hostPort, host);
      host.child.once("exit", (code, signal) => unexpectedExit({ source: "host", code, signal }));
    }
    const pids = {
      ...(azurite.pid !== undefined ? { azurite: azurite.pid } : {}),
      ...(hostPid !== undefined ? { host: hostPid } : {}),
    };
    return { estate, azurite, hostUrl, settings, outboxDir, policyPath, pids, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Policy files of stacks whose process is gone (`ops-policy.<pid>.<id>.json`); others are left alone. */
async function removeOrphanedPolicies(workDir: string): Promise<void> {
  const names = await readdir(workDir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(/^ops-policy\.(\d+)\.[0-9a-f]{8}\.json$/.exec(name)?.[1]);
      if (!pid || pid === process.pid || processAlive(pid)) return;
      await rm(join(workDir, name), { force: true }).catch(() => undefined);
    }),
  );
}

interface HostProcess {
  child: ChildProcess;
  /** Resolves when the host has printed its function list: it listens and the app is loaded. */
  ready: Promise<void>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its last stderr lines, to say why it died. */
  stderr: string[];
}

function spawnHost(
  appPath: string,
  port: number,
  enableTimers: boolean,
  settings: Record<string, string>,
  log: (line: string) => void,
): HostProcess {
  const args = [
    ...["--import", PARENT_WATCH_IMPORT, "--import", "tsx", "local/functions-host/main.ts"],
    ...["--app", appPath, "--port", String(port)],
  ];
  if (!enableTimers) args.push("--no-timers");
  // stdin: the pipe PARENT_WATCH_IMPORT watches; never written.
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...settings },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.on("error", () => undefined);
  const stderr: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        log(line);
        // main.ts prints "Functions:" once startFunctionsHost has resolved.
        if (stream === child.stdout && line === "Functions:") markReady();
        if (stream === child.stderr) stderr.splice(0, Math.max(0, stderr.length - 19), line);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    });
  }
  return { child, ready, exited, stderr };
}

/**
 * Waits for this host to be up. Its own output says so, not the status endpoint alone: another
 * process on the same port would answer that endpoint while this host dies.
 */
async function waitForHost(url: string, port: number, host: HostProcess): Promise<void> {
  let failure: Error | undefined;
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    const fail = (error: Error): void => {
      failure ??= error;
      reject(failure);
    };
    void host.exited.then(({ code, signal }) =>
      // Let the last stderr chunk arrive before saying why.
      setImmediate(() => {
        const reason = hostFailure(host.stderr);
        if (/EADDRINUSE/.test(reason)) return fail(new PortInUseError(port));
        const how = signal ? `signal ${signal}` : `code ${String(code)}`;
        fail(new Error(`the Functions host exited with ${how} while starting${reason ? `: ${reason}` : ""}`));
      }),
    );
    timer = setTimeout(
      () => fail(new Error(`the Functions host did not start at ${url} within 60 s`)),
      60_000,
    );
  });
  // The loser of the races below must not become an unhandled rejection later.
  failed.catch(() => undefined);
  try {
    await Promise.race([host.ready, failed]);
    for (;;) {
      try {
        const response = await Promise.race([fetch(`${url}/admin/host/status`), failed]);
        if (response.ok) {
          const status = (await response.json()) as { state?: string };
          if (status.state === "Running") return;
        }
      } catch (error) {
        if (failure) throw failure;
        if (!(error instanceof TypeError)) throw error; // a TypeError is fetch's "not listening (yet)"
      }
      await Promise.race([new Promise((r) => setTimeout(r, 100)), failed]);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The error line of the host's last words (main.ts prints a failure's stack to stderr). */
function hostFailure(stderr: string[]): string {
  const lines = stderr.map((l) => l.trim()).filter((l) => l && !l.startsWith("at "));
  return lines.find((l) => /Error\b/.test(l)) ?? lines.at(-1) ?? "";
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
