import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAuthority } from "../../local/estate/auth/tokens.ts";
import type { EstateContext } from "../../local/estate/context.ts";
import { FaultInjector, LatencyRules } from "../../local/estate/controls/faults.ts";
import { StatsRecorder } from "../../local/estate/controls/stats.ts";
import { demo, demoIds, demoTenantId } from "../../local/estate/model/demo.ts";
import { seedDemoEstate } from "../../local/estate/model/seed.ts";
import { EstateState } from "../../local/estate/model/state.ts";
import { LongRunningOperations, OperationFailure } from "../../local/estate/server/operations.ts";
import { createRequestHandler } from "../../local/estate/server/pipeline.ts";
import { azureError } from "../../local/estate/server/replies.ts";
import { Router } from "../../local/estate/server/router.ts";
import type { Route } from "../../local/estate/server/router.ts";
import { armResourceRoutes } from "../../local/estate/surfaces/arm-resources.ts";

/**
 * The long-running-operation helper behind every write surface, through a tiny example write (PATCH
 * a site's tags) mounted on the estate's own pipeline: 202 with Azure's headers, a status resource
 * that moves InProgress → Succeeded or Failed, and the change visible only once it has succeeded.
 */

const durationMs = 300;

function exampleTagWrite(ctx: EstateContext): Route {
  return {
    method: "PATCH",
    path: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Web/sites/{site}",
    access: "token",
    name: "example.patch:sites",
    handle: async (request) => {
      const body = (await request.json()) as { tags?: Record<string, string> } | undefined;
      const record = ctx.state.get(request.path);
      if (!record) return azureError(404, "ResourceNotFound", "no such site");
      return ctx.operations.start(
        {
          subscriptionId: request.params["subscriptionId"] ?? "",
          namespace: "Microsoft.Web",
          location: "westeurope",
          durationMs,
          apply: () => {
            if (body?.tags?.["fail"])
              throw new OperationFailure("Conflict", "The tag update conflicts.", 409);
            record.resource.tags = { ...record.resource.tags, ...body?.tags };
          },
          result: () => record.resource,
        },
        request,
      );
    },
  };
}

let server: Server;
let url: string;
let token: string;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens = await TokenAuthority.create(url, demoTenantId);
  const state = new EstateState();
  seedDemoEstate(state, { url, tenantId: demoTenantId });
  const ctx: EstateContext = {
    url,
    tenantId: demoTenantId,
    identityHeader: "unused",
    state,
    operations: new LongRunningOperations(url),
    tokens,
    scenario: () => "healthy",
    outboxDir: "unused",
    log: () => undefined,
  };
  const router = new Router();
  router.add(ctx.operations.routes());
  router.add([exampleTagWrite(ctx)]);
  router.add(armResourceRoutes(ctx));
  server.on(
    "request",
    createRequestHandler({
      ctx,
      router,
      latency: new LatencyRules(0),
      faults: new FaultInjector(),
      stats: new StatsRecorder(),
      throttle: undefined,
      closing: new AbortController().signal,
    }),
  );
  token = (await tokens.issue({ resource: "https://management.azure.com/" })).accessToken;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(target: string): Promise<Response> {
  return fetch(target.startsWith("http") ? target : `${url}${target}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
}

async function patchTags(tags: Record<string, string>): Promise<Response> {
  return fetch(`${url}${demoIds.webSite}?api-version=2022-03-01`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ tags }),
  });
}

async function siteTags(): Promise<unknown> {
  const response = await get(`${demoIds.webSite}?api-version=2022-03-01`);
  return ((await response.json()) as { tags?: unknown }).tags;
}

async function statusOf(asyncOperation: string): Promise<{ status: string; error?: unknown }> {
  return (await (await get(asyncOperation)).json()) as { status: string; error?: unknown };
}

async function waitFor(asyncOperation: string, wanted: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await statusOf(asyncOperation)).status !== wanted) {
    if (Date.now() > deadline) throw new Error(`the operation did not reach ${wanted}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("long-running operations", () => {
  it("answers a write with 202, Azure-AsyncOperation, Location and Retry-After under the provider's location", async () => {
    const response = await patchTags({ owner: "ops" });
    expect(response.status).toBe(202);
    const asyncOperation = response.headers.get("azure-asyncoperation") ?? "";
    const location = response.headers.get("location") ?? "";
    expect(asyncOperation).toMatch(
      new RegExp(
        `^${url}/subscriptions/${demo.subscriptionId}/providers/Microsoft.Web/locations/westeurope/operations/[0-9a-f-]{36}\\?api-version=2022-03-01$`,
      ),
    );
    expect(location).toMatch(/\/operationResults\/[0-9a-f-]{36}\?api-version=2022-03-01$/);
    expect(response.headers.get("retry-after")).toBe("1");
    await waitFor(asyncOperation, "Succeeded");
  });

  it("moves InProgress → Succeeded, and the change shows in GETs only once it has succeeded", async () => {
    const response = await patchTags({ window: "maintenance" });
    const asyncOperation = response.headers.get("azure-asyncoperation") ?? "";
    const location = response.headers.get("location") ?? "";

    const running = await statusOf(asyncOperation);
    expect(running).toMatchObject({ status: "InProgress" });
    expect(await siteTags()).not.toHaveProperty("window");
    const pending = await get(location);
    expect(pending.status).toBe(202);
    expect(pending.headers.get("retry-after")).toBe("1");

    await waitFor(asyncOperation, "Succeeded");
    const done = (await statusOf(asyncOperation)) as { status: string; startTime?: string; endTime?: string };
    expect(done.endTime).toBeDefined();
    expect(await siteTags()).toMatchObject({ component: "webapp", window: "maintenance" });
    const result = await get(location);
    expect(result.status).toBe(200);
    expect(await result.json()).toMatchObject({ id: demoIds.webSite, tags: { window: "maintenance" } });
  });

  it("moves InProgress → Failed with Azure's error, and changes nothing", async () => {
    const response = await patchTags({ fail: "yes" });
    const asyncOperation = response.headers.get("azure-asyncoperation") ?? "";
    await waitFor(asyncOperation, "Failed");
    expect(await statusOf(asyncOperation)).toMatchObject({
      status: "Failed",
      error: { code: "Conflict", message: "The tag update conflicts." },
    });
    const result = await get(response.headers.get("location") ?? "");
    expect(result.status).toBe(409);
    expect(await result.json()).toEqual({
      error: { code: "Conflict", message: "The tag update conflicts." },
    });
    expect(await siteTags()).not.toHaveProperty("fail");
  });

  it("answers OperationNotFound for an operation it never started", async () => {
    const response = await get(
      `/subscriptions/${demo.subscriptionId}/providers/Microsoft.Web/locations/westeurope/operations/00000000-0000-4000-8000-000000000000?api-version=2022-03-01`,
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "OperationNotFound" } });
  });
});
