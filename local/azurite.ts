/**
 * Starts Azurite (the npm package) as a child process on loopback with free ports, and tells the
 * caller where it listens:
 *
 *   const azurite = await startAzurite({ inMemory: true });
 *   // azurite.connectionString → AzureWebJobsStorage
 *   await azurite.close();
 *
 * A child process rather than Azurite's in-process servers: the CLI is Azurite's supported surface
 * (its server classes are internals under dist/src), it prints the ports it bound when asked for
 * port 0, and it keeps Azurite's globals (logger, memory limits) out of the caller's process.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Azurite's well-known development account (public, documented, not a secret). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface AzuriteOptions {
  /** Keep data in memory only (default true). When false, data lives in `location`. */
  inMemory?: boolean;
  /** Workspace folder for persisted data; required when `inMemory` is false. */
  location?: string;
  /** Fixed ports; 0 (the default) lets the OS pick free ones. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Receives Azurite's own output lines (access logs are off). */
  log?: (line: string) => void;
  /** Called when Azurite exits after it was ready and before close() was called. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface Azurite {
  /** For AzureWebJobsStorage and the Storage SDK clients. */
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  /** The Azurite process. */
  pid?: number;
  close(): Promise<void>;
}

/**
 * A preload (`node --import`) for the stack's child processes: the child stops when its parent is
 * gone, however the parent ended (SIGKILL included), so no Azurite or host outlives the stack and
 * keeps holding its ports. The parent gives the child a stdin pipe that it never writes or closes:
 * the pipe ends only when the parent dies. A changed ppid (re-parented to init or a subreaper) is
 * the second sign, for a child whose stdin was not that pipe. The child then gets SIGTERM, so its own
 * shutdown runs, and is made to exit if that takes longer than 5 s. Inline (a data: URL) so the
 * child needs no file of ours, only Node.
 */
export const PARENT_WATCH_IMPORT = `data:text/javascript,${encodeURIComponent(`
const parent = process.ppid;
let gone = false;
const stop = () => {
  if (gone) return;
  gone = true;
  setTimeout(() => process.exit(1), 5000).unref();
  process.kill(process.pid, "SIGTERM");
};
if (!process.stdin.isTTY) {
  process.stdin.on("end", stop).on("error", stop).resume();
  process.stdin.unref?.();
}
setInterval(() => { if (process.ppid !== parent) stop(); }, 1000).unref();
`)}`;

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const inMemory = options.inMemory ?? true;
  if (!inMemory && !options.location)
    throw new Error("startAzurite: `location` is required when inMemory is false");
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
  // Azurite refuses --location with --inMemoryPersistence, and otherwise writes to its cwd: give it a
  // private folder so nothing lands in the project.
  const workDir = await mkdtemp(join(tmpdir(), "azurite-"));
  const args = [
    "--import",
    PARENT_WATCH_IMPORT,
    cli,
    ...["--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1"],
    ...["--blobPort", String(options.blobPort ?? 0)],
    ...["--queuePort", String(options.queuePort ?? 0)],
    ...["--tablePort", String(options.tablePort ?? 0)],
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--silent",
    ...(inMemory ? ["--inMemoryPersistence"] : ["--location", options.location ?? workDir]),
  ];
  const env = { ...process.env };
  // A custom account list would break the well-known connection string below.
  delete env["AZURITE_ACCOUNTS"];
  // stdin: the pipe PARENT_WATCH_IMPORT watches; never written.
  const child = spawn(process.execPath, args, { cwd: workDir, env, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.on("error", () => undefined);
  const killOnExit = (): void => {
    child.kill("SIGKILL");
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once("exit", killOnExit);

  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const output: string[] = [];
  const endpoints = await new Promise<Record<"blob" | "queue" | "table", string>>((resolve, reject) => {
    const found: Partial<Record<"blob" | "queue" | "table", string>> = {};
    const timer = setTimeout(() => fail(new Error("Azurite did not start within 30 s")), STARTUP_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n${output.join("\n")}`));
    };
    const onLine = (line: string): void => {
      output.push(line);
      options.log?.(line);
      const match = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/.exec(
        line,
      );
      if (!match?.[1] || !match[2]) return;
      found[match[1].toLowerCase() as "blob" | "queue" | "table"] = match[2];
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        resolve({ blob: found.blob, queue: found.queue, table: found.table });
      }
    };
    readLines(child.stdout, onLine);
    readLines(child.stderr, onLine);
    child.once("error", fail);
    child.once("exit", (code) =>
      fail(new Error(`Azurite exited with code ${String(code)} before it was ready`)),
    );
  });

  const port = (url: string): number => Number(new URL(url).port);
  const blobEndpoint = `${endpoints.blob}/${AZURITE_ACCOUNT_NAME}`;
  const queueEndpoint = `${endpoints.queue}/${AZURITE_ACCOUNT_NAME}`;
  const tableEndpoint = `${endpoints.table}/${AZURITE_ACCOUNT_NAME}`;
  let closing: Promise<void> | undefined;
  child.once("exit", (code, signal) => {
    if (!closing) options.onUnexpectedExit?.(code, signal);
  });
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    blobPort: port(endpoints.blob),
    queuePort: port(endpoints.queue),
    tablePort: port(endpoints.table),
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    close() {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const stopped = await Promise.race([
            exited.then(() => true),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STOP_TIMEOUT_MS).unref()),
          ]);
          if (!stopped) {
            child.kill("SIGKILL");
            await exited;
          }
        }
        process.removeListener("exit", killOnExit);
        await rm(workDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, newline).replace(/\r$/, ""));
      buffered = buffered.slice(newline + 1);
    }
  });
}
