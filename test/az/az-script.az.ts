import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAz, readStackTarget } from "../../local/az.ts";

/** `npm run az`'s one-line answers when az or the stack is missing. */
describe("npm run az without az or without a stack", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "phoenix-az-script-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("finds no az on a PATH without it, and says how to install it", () => {
    expect(findAz(dir)).toBeUndefined();
    const result = spawnSync(process.execPath, ["--import", "tsx", "local/az.ts", "account", "show"], {
      env: { PATH: dir },
      encoding: "utf8",
    });
    expect(result.status).toBe(127);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("apt-get install azure-cli");
  });

  it("says to run npm start when there is no stack file, or its process is gone", async () => {
    expect(await readStackTarget(dir)).toMatch(/start it with `npm start`/);
    const stale = {
      // A pid no process has: the stack that wrote the file has stopped.
      pid: 2 ** 22 + 17,
      settings: {
        IDENTITY_ENDPOINT: "https://127.0.0.1:1/msi/token",
        IDENTITY_HEADER: "x",
        PHOENIX_ARM_ENDPOINT: "https://127.0.0.1:1",
      },
      caPath: "/nowhere.pem",
    };
    await writeFile(join(dir, "stack.json"), JSON.stringify(stale));
    expect(await readStackTarget(dir)).toMatch(/start it with `npm start`/);
  });

  it("reads a running stack's coordinates", async () => {
    const live = {
      pid: process.pid,
      settings: {
        IDENTITY_ENDPOINT: "https://127.0.0.1:4443/msi/token",
        IDENTITY_HEADER: "secret",
        PHOENIX_ARM_ENDPOINT: "https://127.0.0.1:4443",
      },
      caPath: join(dir, "ca.pem"),
    };
    await writeFile(join(dir, "stack.json"), JSON.stringify(live));
    expect(await readStackTarget(dir)).toEqual({
      estateUrl: "https://127.0.0.1:4443",
      identityEndpoint: "https://127.0.0.1:4443/msi/token",
      identityHeader: "secret",
      caPath: join(dir, "ca.pem"),
      configDir: join(dir, "az"),
    });
  });
});
