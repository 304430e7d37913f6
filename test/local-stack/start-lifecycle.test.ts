import { readdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  becomesFree,
  freePort,
  readStackFile,
  runStart,
  stackTempFolders,
  type StartProcess,
  removeTestDirs,
} from "./start-process.ts";

afterAll(removeTestDirs);

async function startedStack(): Promise<{ run: StartProcess; port: number }> {
  const port = await freePort();
  const run = await runStart(["--port", String(port)]);
  const up = await run.waitFor("Local stack is up");
  expect(up, run.output()).toBe(true);
  return { run, port };
}

const portOf = (url: string): number => Number(new URL(url).port);

describe("npm start: nothing outlives the stack", () => {
  it("writes its state file for this user only", async () => {
    const { run } = await startedStack();
    const state = await readStackFile(run.workDir);
    expect((await stat(`${run.workDir}/stack.json`)).mode & 0o077).toBe(0);
    expect((await stat(state.settings.PHOENIX_POLICY_PATH ?? "")).mode & 0o077).toBe(0);
    expect((await stat(state.caPath)).mode & 0o077).toBe(0);
    expect((await stat(dirname(state.caPath))).mode & 0o077).toBe(0);

    // Ctrl-C: everything it made is gone (state file, policy, TLS folder with the CA key).
    await run.waitFor("Press Ctrl-C");
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect((await readdir(run.workDir)).filter((f) => f !== "outbox")).toEqual([]);
    expect(await stackTempFolders(run.tempDir)).toEqual([]);
    expect(await becomesFree(portOf(state.hostUrl))).toBe(true);
  });

  it("kill -9 of npm start: Azurite and the host stop and free their ports", async () => {
    const { run, port } = await startedStack();
    const state = await readStackFile(run.workDir);
    const blobPort = portOf(/BlobEndpoint=([^;]+)/.exec(state.settings.AzureWebJobsStorage ?? "")?.[1] ?? "");
    run.child.kill("SIGKILL");
    await run.exited;
    expect(await becomesFree(port)).toBe(true);
    expect(await becomesFree(blobPort)).toBe(true);

    // The next run in the same folders removes what the killed one could not: its policy file and
    // its TLS folder (it cannot know about them any other way than by their dead owner).
    await expect(stat(state.settings.PHOENIX_POLICY_PATH ?? "")).resolves.toBeTruthy();
    await expect(stat(state.caPath)).resolves.toBeTruthy();
    const next = await runStart(["--port", String(port)], run);
    expect(await next.waitFor("Local stack is up"), next.output()).toBe(true);
    await expect(stat(state.settings.PHOENIX_POLICY_PATH ?? "")).rejects.toThrow(/ENOENT/);
    await expect(stat(dirname(state.caPath))).rejects.toThrow(/ENOENT/);
    next.child.kill("SIGINT");
    expect((await next.exited).code).toBe(0);
  });

  it("an interrupted start leaves no policy file or TLS material", async () => {
    const port = await freePort();
    const run = await runStart(["--port", String(port)]);
    expect(await run.waitFor("Starting Azurite")).toBe(true);
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(code === 130 || code === 0).toBe(true);
    expect((await readdir(run.workDir)).filter((f) => f !== "outbox")).toEqual([]);
    expect(await stackTempFolders(run.tempDir)).toEqual([]);
    expect(await becomesFree(port)).toBe(true);
  });

  it.each([
    ["azurite", "Azurite"],
    ["host", "the Functions host"],
  ] as const)("%s dying is reported and stops the stack with a non-zero exit", async (which, name) => {
    const { run, port } = await startedStack();
    const state = await readStackFile(run.workDir);
    process.kill(state.pids[which], "SIGKILL");
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toContain(`${name} was killed by SIGKILL`);
    expect(await becomesFree(port)).toBe(true);
    expect(await stackTempFolders(run.tempDir)).toEqual([]);
  });
});
