/**
 * main.ts as a user runs it, in a child process: the function list, an app with HTTP streaming on
 * (requests proxied to @azure/functions' own server), a timer run through the admin API, and a clean
 * stop on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");

let child: ChildProcess;
let output = "";
let url = "";
let exitCode: Promise<number | null>;

beforeAll(async () => {
  child = spawn(
    process.execPath,
    [
      tsxCli,
      "local/functions-host/main.ts",
      "--app",
      "test/functions-host/fixtures/stream-app.js",
      "--port",
      "0",
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  // "close" rather than "exit": it comes after the last output has been read.
  exitCode = new Promise((resolve) => child.once("close", (code) => resolve(code)));
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  url = await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`main.ts exited early:\n${output}`);
      const listening = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      // The function list comes right after the host has started.
      if (!listening || !output.includes("nightly: timerTrigger")) throw new Error("not started yet");
      return listening;
    },
    { timeout: 60_000, interval: 100 },
  );
});

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill("SIGKILL");
    await exitCode;
  }
});

describe("main.ts", () => {
  it("prints the function list as func start does", () => {
    expect(output).toContain(
      `Functions:\n  upload: [POST] ${url}/api/upload/{name}\n  download: [GET] ${url}/api/download\n`,
    );
    expect(output).toContain("  nightly: timerTrigger\n");
  });

  it("proxies a streaming request to the app and returns its response", async () => {
    const res = await fetch(`${url}/api/upload/report?x=1`, {
      method: "POST",
      headers: { "x-test": "hi" },
      body: "hello world",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-name")).toBe("report");
    expect(res.headers.get("x-ms-invocation-id")).toBeNull();
    expect(await res.json()).toEqual({ name: "report", length: 11, header: "hi" });
  });

  it("streams a response body", async () => {
    const res = await fetch(`${url}/api/download`);
    expect(await res.text()).toBe("chunk-1 chunk-2 chunk-3");
  });

  it("answers 500 for a failure and 204 for no result in streaming mode too", async () => {
    const failed = await fetch(`${url}/api/stream-boom`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe("");
    expect((await fetch(`${url}/api/stream-nothing`)).status).toBe(204);
  });

  it("runs a timer on demand", async () => {
    const res = await fetch(`${url}/admin/functions/nightly?wait=true`, { method: "POST", body: "{}" });
    expect(res.status).toBe(200);
    // The log travels over the child's stdout, which may arrive after the HTTP response.
    await vi.waitFor(() =>
      expect(output).toMatch(/\[information\] nightly \([0-9a-f-]{36}\): nightly ran, pastDue=false/),
    );
  });

  it("stops cleanly on SIGTERM, running appTerminate hooks", async () => {
    child.kill("SIGTERM");
    expect(await exitCode).toBe(0);
    expect(output).toContain("fixture: appTerminate hook ran");
    expect(output).toMatch(/Job host stopped\n$/);
  });
});
