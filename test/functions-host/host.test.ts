/**
 * The local Functions host, in this test file's own process (vitest's "forks" pool gives each file
 * one): the fixture app is loaded with require, as the Node.js worker loads an app, and its state is
 * read from globalThis.fixture. Azurite runs as a child process for the queue trigger.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startAzurite, type Azurite } from "../../local/azurite.ts";
import {
  InvocationFailedError,
  startFunctionsHost,
  type FunctionsHost,
} from "../../local/functions-host/index.ts";

const appPath = fileURLToPath(new URL("./fixtures/app.js", import.meta.url));
const eventGridFixtures = new URL("../fixtures/azure/eventgrid/", import.meta.url);

interface TimerInput {
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  isPastDue: boolean;
}
interface FixtureState {
  appStarted: boolean;
  terminated: boolean;
  preInvocation: string[];
  ticks: TimerInput[];
  dailyRuns: TimerInput[];
  messages: { message: unknown; metadata: Record<string, unknown> }[];
  attempts: Record<string, number>;
  events: { event: Record<string, unknown>; metadata: Record<string, unknown> }[];
}
const fixture = (): FixtureState => (globalThis as unknown as { fixture: FixtureState }).fixture;

const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

let azurite: Azurite;
let host: FunctionsHost;
const lines: string[] = [];

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  host = await startFunctionsHost({
    appPath,
    port: 0,
    settings: {
      AzureWebJobsStorage: azurite.connectionString,
      SCHEDULE_SETTING: "*/1 * * * * *",
      FIXTURE_SETTING: "from-options",
    },
    queuePollingMaxMs: 200,
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await host?.close();
  await azurite?.close();
});

const api = (path: string, init?: RequestInit) => fetch(`${host.url}/api/${path}`, init);
const admin = (path: string, init?: RequestInit) => fetch(`${host.url}/admin/${path}`, init);
const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("startup", () => {
  it("indexes the app's registrations", () => {
    const byName = Object.fromEntries(host.functions.map((f) => [f.name, f]));
    expect(byName["getIncident"]).toMatchObject({
      triggerType: "httpTrigger",
      route: "incidents/{id:int}",
      methods: ["GET"],
      url: `${host.url}/api/incidents/{id:int}`,
      authLevel: "anonymous",
    });
    expect(byName["tick"]).toMatchObject({ triggerType: "timerTrigger", schedule: "*/1 * * * * *" });
    expect(byName["work"]).toMatchObject({ triggerType: "queueTrigger", queueName: "work-items" });
    expect(byName["onSecretEvent"]).toMatchObject({ triggerType: "eventGridTrigger" });
    expect(lines.some((l) => l.endsWith("Job host started"))).toBe(true);
  });

  it("runs appStart hooks and passes settings before the first request", async () => {
    const res = await api("status");
    expect(await res.json()).toEqual({ appStarted: true, fromSettings: "from-options" });
  });

  it("refuses a second host in the same process", async () => {
    await expect(startFunctionsHost({ appPath, port: 0 })).rejects.toThrow(/already started in this process/);
  });
});

describe("HTTP triggers", () => {
  it("passes method, route parameters, query and headers, and returns status, headers, cookies and JSON", async () => {
    const res = await api("incidents/42?q=cpu&tag=a&tag=b", { headers: { "x-test": "hello" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-custom")).toBe("yes");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("set-cookie")).toBe("session=abc; path=/; samesite=lax; httponly");
    expect(await res.json()).toEqual({
      id: "42",
      q: "cpu",
      // The host sends the query as a dictionary, so repeated keys arrive joined (as in Azure).
      tags: ["a,b"],
      header: "hello",
      method: "GET",
      url: `${host.url}/api/incidents/42?q=cpu&tag=a&tag=b`,
      startedBy: "httpTrigger",
    });
  });

  it("runs preInvocation and log hooks", () => {
    expect(fixture().preInvocation).toContain("getIncident");
    const line = lines.find((l) => l.includes("getIncident 42"));
    expect(line).toMatch(
      /^\[\S+\] \[information\] getIncident \([0-9a-f-]{36}\): getIncident 42 password=\*\*\*$/,
    );
    expect(lines.join("\n")).not.toContain("hunter2");
  });

  it("reads a JSON body and answers with the function's status and headers", async () => {
    const res = await postJson(`${host.url}/api/incidents`, { id: 7 });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/api/incidents/7");
    expect(await res.json()).toEqual({ received: { id: 7 } });
  });

  it("supports catch-all and optional parameters, text and binary bodies", async () => {
    const put = await api("echo/a/b/c", { method: "PUT", body: "payload" });
    expect(await put.text()).toBe("PUT a/b/c payload");
    expect(await (await api("greet")).text()).toBe("hello nobody");
    expect(await (await api("greet/bob")).text()).toBe("hello bob");
  });

  it("answers 404 for unknown routes, failed constraints and methods the function does not accept", async () => {
    expect((await api("nope")).status).toBe(404);
    expect((await api("incidents/abc")).status).toBe(404);
    expect((await api("incidents/42", { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${host.url}/incidents/42`)).status).toBe(404);
  });

  it("answers 500 with an empty body when the function throws, and logs the error", async () => {
    const res = await api("boom");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("");
    expect(
      lines.some((l) => l.includes("[error] boom (") && l.includes("secret detail that must not leak")),
    ).toBe(true);
  });

  it("answers 204 when the function returns nothing", async () => {
    const res = await api("nothing");
    expect(res.status).toBe(204);
  });
});

describe("timer triggers", () => {
  it("fires on the schedule from a %Setting% expression, with the host's Timer object", async () => {
    await waitFor(() => expect(fixture().ticks.length).toBeGreaterThan(0));
    // A schedule that fires more than once a minute is not monitored, so it has no schedule status.
    expect(fixture().ticks[0]).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: null,
      isPastDue: false,
    });
  });

  it("runs on demand through the admin API (202), with the schedule status of a monitored timer", async () => {
    const res = await postJson(`${host.url}/admin/functions/daily`, { input: "ignored" });
    expect(res.status).toBe(202);
    await waitFor(() => expect(fixture().dailyRuns.length).toBe(1));
    const status = fixture().dailyRuns[0]?.scheduleStatus;
    expect(status?.last).toBe("0001-01-01T00:00:00");
    expect(status?.next).toMatch(/T06:30:00\.000Z$/);
  });

  it("waits for the run with the local-only ?wait=true, and reports a failure", async () => {
    const ok = await postJson(`${host.url}/admin/functions/daily?wait=true`, {});
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ invocationId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
    const failed = await postJson(`${host.url}/admin/functions/failingTimer?wait=true`, {});
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: "timer failed on purpose" });
  });

  it("runs through invoke(), which rejects when the function fails", async () => {
    await host.invoke("daily");
    expect(fixture().dailyRuns.length).toBeGreaterThanOrEqual(3);
    await expect(host.invoke("failingTimer")).rejects.toBeInstanceOf(InvocationFailedError);
    await expect(host.invoke("getIncident")).rejects.toThrow(/HTTP-triggered/);
    await expect(host.invoke("missing")).rejects.toThrow(/No function named/);
  });
});

describe("admin API", () => {
  it("reports the host as running", async () => {
    const res = await admin("host/status");
    expect(await res.json()).toMatchObject({ state: "Running" });
  });

  it("lists functions with their bindings", async () => {
    const list = (await (await admin("functions")).json()) as {
      name: string;
      invoke_url_template?: string;
      config: { bindings: Record<string, unknown>[] };
    }[];
    const tick = list.find((f) => f.name === "tick");
    expect(tick?.config.bindings).toContainEqual(
      expect.objectContaining({ type: "timerTrigger", direction: "in", schedule: "%SCHEDULE_SETTING%" }),
    );
    const get = list.find((f) => f.name === "getIncident");
    expect(get?.invoke_url_template).toBe(`${host.url}/api/incidents/{id:int}`);
  });

  it("answers 404 for an unknown function", async () => {
    expect((await postJson(`${host.url}/admin/functions/missing`, {})).status).toBe(404);
  });
});

describe("Event Grid triggers", () => {
  const webhook = (name: string) => `${host.url}/runtime/webhooks/eventgrid?functionName=${name}`;
  const fixtureJson = (name: string): unknown =>
    JSON.parse(readFileSync(new URL(name, eventGridFixtures), "utf8"));

  it("answers the subscription validation handshake", async () => {
    const res = await postJson(
      webhook("onSecretEvent"),
      fixtureJson("eventgrid-subscription-validation-event.json"),
      {
        "aeg-event-type": "SubscriptionValidation",
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(fixtureJson("eventgrid-subscription-validation-response.json"));
  });

  it("delivers each event of an Event Grid schema notification", async () => {
    const res = await postJson(
      webhook("onSecretEvent"),
      fixtureJson("keyvault-secret-new-version-created-eventgrid-schema-docs.json"),
      { "aeg-event-type": "Notification" },
    );
    expect(res.status).toBe(202);
    const delivered = fixture().events.find((e) => e.event["id"] === "00eccf70-95a7-4e7c-8299-2eb17ee9ad64");
    expect(delivered?.event).toMatchObject({
      eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
      data: { VaultName: "sample-kv", ObjectName: "newsecret" },
    });
    // @azure/functions camel-cases trigger metadata keys, including those inside `data`.
    expect(delivered?.metadata["data"]).toMatchObject({ vaultName: "sample-kv" });
  });

  it("delivers a CloudEvent", async () => {
    const cloudEvent = {
      specversion: "1.0",
      type: "Microsoft.KeyVault.SecretNearExpiry",
      source: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
      id: "cloud-1",
      time: "2025-01-01T00:00:00Z",
      subject: "db-password",
      data: { ObjectName: "db-password" },
    };
    const res = await postJson(webhook("onSecretEvent"), cloudEvent, {
      "aeg-event-type": "Notification",
      "content-type": "application/cloudevents+json",
    });
    expect(res.status).toBe(202);
    expect(fixture().events.some((e) => e.event["id"] === "cloud-1")).toBe(true);
  });

  it("answers 500 when the function fails, so that Event Grid redelivers", async () => {
    const res = await postJson(
      webhook("onSecretEvent"),
      [{ id: "bad-1", eventType: "x", data: { fail: true } }],
      {
        "aeg-event-type": "Notification",
      },
    );
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("event bad-1 failed");
  });

  it("answers 404 for an unknown function and 400 without an event type", async () => {
    expect((await postJson(webhook("missing"), [], { "aeg-event-type": "Notification" })).status).toBe(404);
    expect((await postJson(webhook("onSecretEvent"), [])).status).toBe(400);
  });
});

describe("queue triggers (Azurite)", () => {
  const queue = (name: string) => new QueueClient(azurite.connectionString, name);
  const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");

  it("processes a base64 JSON message, passes its metadata, deletes it and writes the output binding", async () => {
    await queue("work-items").sendMessage(base64({ id: 1 }));
    await waitFor(() =>
      expect(fixture().messages.some((m) => JSON.stringify(m.message) === '{"id":1}')).toBe(true),
    );
    const processed = fixture().messages.find((m) => JSON.stringify(m.message) === '{"id":1}');
    expect(processed?.metadata).toMatchObject({
      dequeueCount: 1,
      // String trigger metadata that is JSON comes out parsed, as @azure/functions does in Azure.
      queueTrigger: { id: 1 },
      id: expect.any(String) as unknown,
      popReceipt: expect.any(String) as unknown,
      insertionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });

    const done = await waitFor(async () => {
      const { receivedMessageItems } = await queue("work-done").receiveMessages();
      expect(receivedMessageItems).toHaveLength(1);
      return receivedMessageItems[0]!;
    });
    expect(Buffer.from(done.messageText, "base64").toString("utf8")).toBe('{"done":{"id":1}}');
    await waitFor(async () =>
      expect((await queue("work-items").peekMessages()).peekedMessageItems).toHaveLength(0),
    );
  });

  it("moves a message that keeps failing to <queue>-poison after maxDequeueCount attempts", async () => {
    const text = base64({ fail: true, n: 2 });
    await queue("work-items").sendMessage(text);
    const poisoned = await waitFor(async () => {
      const { peekedMessageItems } = await queue("work-items-poison").peekMessages();
      expect(peekedMessageItems).toHaveLength(1);
      return peekedMessageItems[0]!;
    });
    expect(poisoned.messageText).toBe(text);
    // host.json in the fixture sets maxDequeueCount to 2.
    expect(fixture().attempts['{"fail":true,"n":2}']).toBe(2);
    expect(lines.some((l) => l.includes("Moving message to queue 'work-items-poison'"))).toBe(true);
    await waitFor(async () =>
      expect((await queue("work-items").peekMessages()).peekedMessageItems).toHaveLength(0),
    );
  });

  it("runs a queue function on demand with invoke()", async () => {
    await host.invoke("work", { id: 99 });
    expect(fixture().messages.some((m) => JSON.stringify(m.message) === '{"id":99}')).toBe(true);
  });
});

describe("shutdown", () => {
  it("runs appTerminate hooks and stops serving", async () => {
    await host.close();
    expect(fixture().terminated).toBe(true);
    expect(lines.at(-1)).toMatch(/Job host stopped$/);
    await expect(fetch(`${host.url}/api/status`)).rejects.toThrow();
  });
});
