import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** `npm start` as a process of its own, with private state and temp folders. */
export interface StartProcess {
  child: ChildProcess;
  workDir: string;
  tempDir: string;
  output(): string;
  stderr(): string;
  /** Resolves with true once the output contains `text`, false if the process exits first. */
  waitFor(text: string): Promise<boolean>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const madeDirs: string[] = [];

/** A private folder for one test, removed by removeTestDirs. */
export async function testDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** For afterAll: the folders the tests of this file made. */
export async function removeTestDirs(): Promise<void> {
  await Promise.all(madeDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** `dirs` reuses the state and temp folders of an earlier run. */
export async function runStart(
  args: string[],
  dirs?: { workDir: string; tempDir: string },
): Promise<StartProcess> {
  const workDir = dirs?.workDir ?? (await testDir("phoenix-start-work-"));
  const tempDir = dirs?.tempDir ?? (await testDir("phoenix-start-tmp-"));
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts", ...args], {
    env: {
      ...process.env,
      PHOENIX_LOCAL_DIR: workDir,
      // dist/ is built once per test run (test/global-setup.ts).
      PHOENIX_START_SKIP_BUILD: "1",
      TMPDIR: tempDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let all = "";
  let err = "";
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer, isErr: boolean): void => {
    all += chunk.toString();
    if (isErr) err += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout?.on("data", (c: Buffer) => onData(c, false));
  child.stderr?.on("data", (c: Buffer) => onData(c, true));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      done = true;
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    workDir,
    tempDir,
    output: () => all,
    stderr: () => err,
    exited,
    async waitFor(text) {
      while (!all.includes(text)) {
        if (done) return false;
        await new Promise<void>((wake) => waiters.push(wake));
      }
      return true;
    },
  };
}

export async function readStackFile(workDir: string): Promise<{
  pid: number;
  hostUrl: string;
  settings: Record<string, string>;
  caPath: string;
  pids: { azurite: number; host: number };
}> {
  return JSON.parse(await readFile(join(workDir, "stack.json"), "utf8")) as Awaited<
    ReturnType<typeof readStackFile>
  >;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** Polls until nothing listens on the port; false if something still does after `attempts` tries. */
export async function becomesFree(port: number, attempts = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (!(await listening(port))) return true;
    await sleep(200);
  }
  return false;
}

/** A pid that belonged to a process that has exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid ?? 999_999;
}

/** What the stack puts in the temp folder (the TLS material, Azurite's folder); tsx keeps a cache there too. */
export async function stackTempFolders(tempDir: string): Promise<string[]> {
  return (await readdir(tempDir)).filter((name) => /^(phoenix-ops-tls-|azurite-)/.test(name));
}
