import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PortInUseError, type StackProcessExit, startLocalStack } from "../../local/stack.ts";
import { createLocalTls, removeLocalTls, TLS_CERT_ENV, tlsEnv } from "../../local/tls.ts";
import { deadPid, freePort, removeTestDirs, testDir } from "./start-process.ts";

let workDir: string;
beforeAll(async () => {
  // The estate needs its certificate; `npm test` provides one (with-local-ca), plain vitest does not.
  if (!process.env[TLS_CERT_ENV]) Object.assign(process.env, tlsEnv(await createLocalTls()));
});
afterAll(removeTestDirs);
beforeEach(async () => {
  workDir = await testDir("phoenix-stack-");
});

const policyFiles = async (): Promise<string[]> =>
  (await readdir(workDir)).filter((name) => name.startsWith("ops-policy.")).sort();

describe("startLocalStack", () => {
  it("refuses a busy host port before starting anything", async () => {
    const port = await freePort();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const started = startLocalStack({ workDir, hostPort: port, enableTimers: false });
      await expect(started).rejects.toBeInstanceOf(PortInUseError);
      await expect(started).rejects.toThrow(`port ${port} is in use`);
      expect(await policyFiles()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("says why the host died while starting, and leaves nothing behind", async () => {
    const started = startLocalStack({
      workDir,
      hostPort: 0,
      enableTimers: false,
      appPath: join(workDir, "no-such-app.cjs"),
    });
    await expect(started).rejects.toThrow(
      /the Functions host exited with code 1 while starting: .*no-such-app/,
    );
    expect(await policyFiles()).toEqual([]);
  });

  it("removes policy files of dead processes only, and its own on close (0600 while it runs)", async () => {
    const dead = `ops-policy.${await deadPid()}.0badc0de.json`;
    const live = `ops-policy.${process.ppid}.0badc0de.json`;
    const unknown = "ops-policy.1a2b3c4d.json";
    await mkdir(workDir, { recursive: true });
    for (const name of [dead, live, unknown]) await writeFile(join(workDir, name), "{}");
    const stack = await startLocalStack({ workDir, withHost: false });
    try {
      expect(await policyFiles()).toEqual([live, unknown, stack.policyPath.slice(workDir.length + 1)].sort());
      expect((await stat(stack.policyPath)).mode & 0o077).toBe(0);
    } finally {
      await stack.close();
    }
    expect(await policyFiles()).toEqual([live, unknown].sort());
  });

  it("reports Azurite exiting on its own, once", async () => {
    const exits: StackProcessExit[] = [];
    let reported: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (reported = resolve));
    const stack = await startLocalStack({
      workDir,
      withHost: false,
      onUnexpectedExit: (exit) => {
        exits.push(exit);
        reported();
      },
    });
    try {
      process.kill(stack.pids?.azurite ?? 0, "SIGKILL");
      await seen;
      expect(exits).toEqual([{ source: "azurite", code: null, signal: "SIGKILL" }]);
    } finally {
      await stack.close();
    }
  });

  it("does not report the exits that close() causes", async () => {
    const exits: StackProcessExit[] = [];
    const stack = await startLocalStack({
      workDir,
      hostPort: 0,
      enableTimers: false,
      onUnexpectedExit: (exit) => exits.push(exit),
    });
    await stack.close();
    expect(exits).toEqual([]);
  });
});

describe("createLocalTls", () => {
  let tempDir: string;
  const savedTmp = process.env.TMPDIR;
  beforeEach(async () => {
    tempDir = await testDir("phoenix-tls-");
    process.env.TMPDIR = tempDir;
  });
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });

  it("keeps the key 0600 in a 0700 folder, removes folders of dead processes only", async () => {
    const dead = `phoenix-ops-tls-${await deadPid()}-AbC123`;
    const live = `phoenix-ops-tls-${process.ppid}-AbC123`;
    const unowned = "phoenix-ops-tls-AbC123";
    for (const name of [dead, live, unowned]) await mkdir(join(tempDir, name));
    const tls = await createLocalTls();
    expect((await stat(tls.keyPath)).mode & 0o077).toBe(0);
    expect((await stat(tls.dir ?? "")).mode & 0o077).toBe(0);
    const names = await readdir(tempDir);
    expect(names).not.toContain(dead);
    expect(names).toEqual(expect.arrayContaining([live, unowned]));
    await removeLocalTls(tls);
    await expect(stat(tls.dir ?? "")).rejects.toThrow(/ENOENT/);
  });
});
