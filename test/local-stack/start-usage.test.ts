import { createServer, type Server } from "node:net";
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, runStart, stackTempFolders, removeTestDirs } from "./start-process.ts";

afterAll(removeTestDirs);

/** Runs `npm start` with arguments that must fail before anything starts. */
async function startFails(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await runStart(args);
  const { code } = await run.exited;
  // Nothing was started: no state, no TLS material.
  expect(await readdir(run.workDir)).toEqual([]);
  expect(await stackTempFolders(run.tempDir)).toEqual([]);
  return { code, stdout: run.output().replace(run.stderr(), ""), stderr: run.stderr() };
}

function expectOneUsageLine(result: { code: number | null; stderr: string }, cause: RegExp): void {
  expect(result.code).toBe(64);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(cause);
  expect(lines[0]).toContain("npm start -- --help");
}

describe("npm start: usage", () => {
  it("--help prints the usage with the scenarios and exits 0", async () => {
    const run = await runStart(["--help"]);
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(run.output()).toContain("--scenario NAME");
    expect(run.output()).toContain("--port N");
    expect(run.output()).toContain("webapp-errors");
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--scenario"], /--scenario/],
    [["--scenario", "no-such-scenario"], /unknown scenario "no-such-scenario"/],
    [["--port", "abc"], /--port must be a port number.*"abc"/],
    [["--port", "70000"], /--port must be a port number.*"70000"/],
    [["stray"], /Unexpected argument 'stray'/],
  ])("%j is one line naming the cause, with exit code 64", async (args, cause) => {
    expectOneUsageLine(await startFails(args), cause);
  });

  it("--verbose adds the stack trace", async () => {
    const result = await startFails(["--verbose", "--bogus"]);
    expect(result.code).toBe(64);
    expect(result.stderr.split("\n")[0]).toMatch(/Unknown option '--bogus'/);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  describe("a busy port", () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      server = createServer();
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("says the port is in use, names --port, starts nothing and exits 64", async () => {
      const result = await startFails(["--port", String(port)]);
      expectOneUsageLine(result, new RegExp(`port ${port} is in use.*--port`));
      expect(result.stdout).not.toContain("Local stack is up");
      expect(result.stdout).not.toContain("Starting Azurite");
    });
  });
});
