import { type Server, type Socket, createServer } from "node:net";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from "../../../local/azurite.ts";
import { createRuntime } from "../../../src/shared/composition/runtime.ts";
import { httpHandler } from "../../../src/shared/edge/http.ts";
import { alertsWebhook } from "../../../src/shared/operations/incidents/declaration.ts";
import { commonAlert } from "../incidents/support.ts";

/**
 * Storage that accepts connections and never answers (frozen), and storage that refuses them (dead):
 * the webhook must answer 503 with Retry-After, for the action group to retry, instead of hanging past
 * the action group's patience.
 */
let frozen: Server;
const held: Socket[] = [];
let frozenPort = 0;

beforeAll(async () => {
  frozen = createServer((socket) => {
    held.push(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => frozen.listen(0, "127.0.0.1", resolve));
  const address = frozen.address();
  frozenPort = typeof address === "object" && address ? address.port : 0;
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => frozen.close(() => resolve()));
});

function connectionString(port: number): string {
  const base = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${base};QueueEndpoint=${base};TableEndpoint=${base};`;
}

async function deliver(port: number) {
  const runtime = createRuntime({
    env: {
      AzureWebJobsStorage: connectionString(port),
      PHOENIX_POLICY_PATH: "config/ops-policy.json",
      // The storage client would wait long; the webhook's own deadline answers first.
      PHOENIX_STORAGE_TIMEOUT_MS: "30000",
      PHOENIX_STORAGE_MAX_RETRIES: "2",
      PHOENIX_ALERTS_WRITE_DEADLINE_MS: "500",
      PHOENIX_ALERTS_BATCH_WINDOW_MS: "0",
    },
  });
  const handler = httpHandler(alertsWebhook, () => runtime);
  const request = new HttpRequest({
    method: "POST",
    url: "http://127.0.0.1/api/alerts",
    headers: { "content-type": "application/json" },
    body: { string: JSON.stringify(commonAlert({ instance: "storage-down" })) },
  });
  return handler(request, new InvocationContext({ invocationId: "test", functionName: "alerts-webhook" }));
}

describe("the alert webhook when storage does not answer", () => {
  it("answers 503 with Retry-After when storage is frozen", async () => {
    const response = await deliver(frozenPort);
    expect(response.status).toBe(503);
    expect((response.headers as Record<string, string>)["retry-after"]).toBe("30");
    expect(held.length).toBeGreaterThan(0);
  });

  it("answers 503 with Retry-After when storage refuses connections", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const response = await deliver(port);
    expect(response.status).toBe(503);
  });
});
