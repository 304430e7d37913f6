import type { IncomingMessage } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAuthorized } from "../../local/functions-host/http-util.ts";
import {
  mergeSettings,
  parseTimeSpanMs,
  readHostConfig,
  readLocalSettings,
  resolveSettingExpressions,
} from "../../local/functions-host/settings.ts";

function tempDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "functions-host-settings-"));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(content));
  return dir;
}

describe("app settings", () => {
  it("layers local.settings.json < environment < explicit settings", () => {
    const dir = tempDir({
      "local.settings.json": {
        IsEncrypted: false,
        Values: { A: "file", B: "file", C: 3 },
        Host: { LocalHttpPort: 7072 },
      },
    });
    const local = readLocalSettings(dir);
    expect(local).toEqual({ values: { A: "file", B: "file", C: "3" }, localHttpPort: 7072 });
    expect(mergeSettings(local.values, { B: "env", D: "env" }, { D: "explicit" })).toEqual({
      A: "file",
      B: "env",
      C: "3",
      D: "explicit",
    });
  });

  it("has no settings without a local.settings.json", () => {
    expect(readLocalSettings(tempDir({}))).toEqual({ values: {} });
  });

  it("resolves %Setting% expressions and names a missing one", () => {
    expect(resolveSettingExpressions("%S%", { S: "0 */5 * * * *" })).toBe("0 */5 * * * *");
    expect(resolveSettingExpressions("jobs-%ENV%", { ENV: "prod" })).toBe("jobs-prod");
    expect(() => resolveSettingExpressions("%MISSING%", {})).toThrow(/MISSING/);
  });
});

describe("host.json", () => {
  it("has the host's defaults when there is no host.json", () => {
    const config = readHostConfig(tempDir({}));
    expect(config.routePrefix).toBe("api");
    expect(config.functionTimeoutMs).toBe(30 * 60_000);
    expect(config.queues).toEqual({
      maxPollingIntervalMs: 2000,
      visibilityTimeoutMs: 0,
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      messageEncoding: "base64",
    });
  });

  it("reads route prefix, queue options and timeout", () => {
    const config = readHostConfig(
      tempDir({
        "host.json": {
          version: "2.0",
          functionTimeout: "-1",
          extensions: {
            http: { routePrefix: "/" },
            queues: {
              maxPollingInterval: "00:00:05",
              visibilityTimeout: "00:00:30",
              batchSize: 4,
              maxDequeueCount: 3,
            },
          },
        },
      }),
    );
    expect(config.routePrefix).toBe("");
    expect(config.functionTimeoutMs).toBeUndefined();
    expect(config.queues).toMatchObject({
      maxPollingIntervalMs: 5000,
      visibilityTimeoutMs: 30_000,
      batchSize: 4,
      newBatchThreshold: 2,
      maxDequeueCount: 3,
    });
  });

  it("parses .NET TimeSpans", () => {
    expect(parseTimeSpanMs("00:05:00")).toBe(300_000);
    expect(parseTimeSpanMs("1.02:00:00")).toBe(26 * 3600_000);
    expect(parseTimeSpanMs("00:00:01.5")).toBe(1500);
    expect(() => parseTimeSpanMs("5 minutes")).toThrow(/TimeSpan/);
  });
});

describe("keys", () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const url = (query = "") => new URL(`http://127.0.0.1/api/x${query}`);
  const keys = { functionKeys: ["fk"], masterKey: "mk" };

  it("are not checked unless configured, as with func start", () => {
    expect(isAuthorized("admin", undefined, request({}), url())).toBe(true);
  });

  it("admit function keys for function level and only the master key for admin level", () => {
    expect(isAuthorized("anonymous", keys, request({}), url())).toBe(true);
    expect(isAuthorized("function", keys, request({}), url())).toBe(false);
    expect(isAuthorized("function", keys, request({}), url("?code=fk"))).toBe(true);
    expect(isAuthorized("function", keys, request({ "x-functions-key": "mk" }), url())).toBe(true);
    expect(isAuthorized("admin", keys, request({ "x-functions-key": "fk" }), url())).toBe(false);
    expect(isAuthorized("admin", keys, request({}), url("?code=mk"))).toBe(true);
  });
});
