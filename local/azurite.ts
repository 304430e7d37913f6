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
  close(): Promise<void>;
}

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
  const child = spawn(process.execPath, args, { cwd: workDir, env, stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
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
