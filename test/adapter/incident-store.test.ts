import { incidentRecord } from "../../src/shared/operations/incidents/common.ts";
import { createHash, randomUUID } from "node:crypto";
import { TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type { AlertRecord, Incident } from "../../src/shared/incidents/model.ts";
import { queueNames } from "../../src/shared/ports/work-queue.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The incident store and work queue adapters, built by the composition root as in production, on
 * Azurite. Two sets of services stand for two instances of the app sharing one storage account.
 */
let stack: LocalStack;
let one: Runtime;
let two: Runtime;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  one = createRuntime({ env: stack.settings });
  two = createRuntime({ env: stack.settings });
});
afterAll(async () => {
  await stack?.close();
});

function incident(id: string): Incident {
  return incidentRecord({
    id,
    dedupKey: `rule|${id}`,
    source: "alert",
    title: `rule on ${id}`,
    description: null,
    environment: "prod",
    rule: "rule",
    target: null,
    priority: "medium",
    openedAt: "2026-11-26T06:00:00.000Z",
    openedBy: "alert (Platform)",
    recipients: ["ops@phoenixvc.tech"],
  });
}

describe("TableIncidentStore (Table and Blob storage on Azurite)", () => {
  it("records a delivery once: the same key again answers that it exists", async () => {
    const key = randomUUID().replace(/-/g, "").padEnd(64, "0");
    const record = {
      key,
      receivedAt: "2026-11-26T06:00:00.000Z",
      status: "received" as const,
      alert: null,
      unrecognized: { reason: "no known shape", fingerprint: "f" },
      raw: '{"hello":"world"}',
      incidentId: null,
    };
    expect(await one.ports.alerts.insertAlert(record)).toBe("inserted");
    expect(await two.ports.alerts.insertAlert(record)).toBe("exists");
    await one.ports.alerts.markAlertProcessed(key, "INC-1");
    expect(await two.ports.alerts.getAlert(key)).toMatchObject({
      status: "processed",
      incidentId: "INC-1",
      raw: '{"hello":"world"}',
    });
  });

  it("lets exactly one of many concurrent instances claim an incident key", async () => {
    const dedupKey = `rule|${randomUUID()}`;
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? one : two).ports.incidents.claimIncidentKey(dedupKey, `INC-${i}`),
      ),
    );
    expect(claims.filter((c) => c.created)).toHaveLength(1);
    expect(new Set(claims.map((c) => c.incidentId)).size).toBe(1);
  });

  it("applies every one of many concurrent updates from two instances: an ETag conflict is retried, not lost", async () => {
    const id = `INC-${randomUUID()}`;
    expect(await one.ports.incidents.createIncident(incident(id))).toBe("created");
    expect(await two.ports.incidents.createIncident(incident(id))).toBe("exists");
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? one : two).ports.incidents.updateIncident(id, (current) => ({
          ...current,
          alertCount: current.alertCount + 1,
          appliedAlertKeys: [...current.appliedAlertKeys, `k${i}`],
        })),
      ),
    );
    const stored = await one.ports.incidents.getIncident(id);
    expect(stored?.alertCount).toBe(16);
    expect(new Set(stored?.appliedAlertKeys).size).toBe(16);
  });

  it("writes a history event that has an id once, and reads the history back in time order", async () => {
    const id = `INC-${randomUUID()}`;
    const store = one.ports.incidents;
    await store.appendEvent(id, {
      at: "2026-11-26T06:00:02.000Z",
      type: "notified",
      by: "system",
      detail: "b",
    });
    const opened = { id: "opened", at: "2026-11-26T06:00:01.000Z", type: "opened", by: "alert", detail: "a" };
    await store.appendEvent(id, opened);
    await two.ports.incidents.appendEvent(id, { ...opened, at: "2026-11-26T06:00:09.000Z", detail: "again" });
    await store.appendEvent(id, {
      at: "2026-11-26T06:00:03.000Z",
      type: "escalated",
      by: "system",
      detail: "c",
    });

    expect((await store.listEvents(id)).map((e) => [e.type, e.detail])).toEqual([
      ["opened", "a"],
      ["notified", "b"],
      ["escalated", "c"],
    ]);
  });

  it("counts emails against the per-minute limit across instances and says when to try again", async () => {
    const now = new Date("2031-01-01T10:00:30.000Z");
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => (i % 2 ? one : two).ports.outbox.takeEmailAllowance(now, 3, 100)),
    );
    expect(answers.filter((a) => a.allowed)).toHaveLength(3);
    const refused = answers.find((a) => !a.allowed);
    expect(refused).toMatchObject({ allowed: false });
    expect(refused && !refused.allowed && refused.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("counts each incident's opening once per minute, across instances", async () => {
    const minute = "2031-01-01T10:01";
    const places = await Promise.all(
      ["INC-a", "INC-b", "INC-c"].map((id, i) => (i % 2 ? one : two).ports.outbox.countOpening(minute, id)),
    );
    expect([...places].sort()).toEqual([1, 2, 3]);
    // A redelivered opening answers the place it was given.
    expect(await one.ports.outbox.countOpening(minute, "INC-b")).toBe(places[1]);
    expect(await two.ports.outbox.countOpening(minute, "INC-d")).toBe(4);
  });

  it("keeps a payload too large for a queue message as a blob and reads it back", async () => {
    const key = randomUUID().replace(/-/g, "").padEnd(64, "1");
    const raw = JSON.stringify({ description: "x".repeat(70_000) });
    const blob = await one.ports.alerts.savePayload(key, raw);
    expect(await two.ports.alerts.readPayload(blob)).toBe(raw);
    expect(await two.ports.alerts.readPayload(`payloads/${"0".repeat(64)}.json`)).toBeUndefined();
  });
});

describe("TableIncidentStore with an aborted signal (Table and Blob storage on Azurite)", () => {
  function alert(raw: string): AlertRecord {
    return {
      key: createHash("sha256").update(randomUUID()).digest("hex"),
      receivedAt: "2026-11-26T06:00:00.000Z",
      status: "received",
      alert: null,
      unrecognized: { reason: "no known shape", fingerprint: "f" },
      raw,
      incidentId: null,
    };
  }

  it("rejects reads and writes once the store is prepared, and writes neither row nor blob", async () => {
    // Prepared: the signal now reaches the storage clients themselves.
    expect(await one.ports.incidents.getIncident("INC-prepared")).toBeUndefined();
    const abortSignal = AbortSignal.abort();
    const id = `INC-${randomUUID()}`;
    await one.ports.incidents.createIncident(incident(id));

    const read = await one.ports.incidents.getIncident(id, { abortSignal }).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(OpsError);
    expect(read).toMatchObject({ code: "StoreFailed", retryable: true });

    // Past one column, the payload would go to a blob first: that upload is refused too.
    const record = alert(JSON.stringify({ description: "x".repeat(40_000) }));
    await expect(one.ports.alerts.insertAlert(record, { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    expect(await one.ports.alerts.getAlert(record.key)).toBeUndefined();
    const owner = createHash("sha256").update(`alerts/${record.key}`).digest("hex");
    const blobs: string[] = [];
    for await (const blob of containerOf(prefixOf(one)).listBlobsFlat({ prefix: `documents/${owner}/` })) {
      blobs.push(blob.name);
    }
    expect(blobs).toEqual([]);
  });

  it("rejects a first call without preparing the store: no table or container is created", async () => {
    const prefix = `abort${randomUUID().replace(/-/g, "").slice(0, 12)}`;
    const fresh = createRuntime({ env: { ...stack.settings, PHOENIX_STATE_TABLE_PREFIX: prefix } });
    const abortSignal = AbortSignal.abort();
    await expect(fresh.ports.incidents.getIncident("INC-1", { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    await expect(fresh.ports.alerts.insertAlert(alert("{}"), { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    const tables = TableServiceClient.fromConnectionString(stack.azurite.connectionString, {
      allowInsecureConnection: true,
    });
    const names: string[] = [];
    for await (const table of tables.listTables()) {
      if (table.name?.startsWith(prefix)) names.push(table.name);
    }
    expect(names).toEqual([]);
    expect(await containerOf(prefix).exists()).toBe(false);
  });
});

function prefixOf(runtime: Runtime): string {
  return runtime.settings.PHOENIX_STATE_TABLE_PREFIX;
}

function containerOf(prefix: string): ReturnType<BlobServiceClient["getContainerClient"]> {
  return BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient(
    `${prefix.toLowerCase()}-diagnostics`,
  );
}

describe("StorageWorkQueue (Queue storage on Azurite)", () => {
  it("queues base64-encoded JSON, as the Functions host's queue trigger decodes it", async () => {
    await one.ports.queue.send(queueNames.diagnostics, { incidentId: "INC-base64" });
    const queue = new QueueClient(stack.azurite.connectionString, queueNames.diagnostics);
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    const texts = receivedMessageItems.map((m) => Buffer.from(m.messageText, "base64").toString("utf8"));
    expect(texts.map((t) => JSON.parse(t) as unknown)).toContainEqual({ incidentId: "INC-base64" });
  });

  it("keeps a delayed message invisible until its time", async () => {
    await one.ports.queue.send(
      queueNames.escalations,
      { incidentId: "INC-later", level: 1, round: 0 },
      {
        delayInSeconds: 600,
      },
    );
    const queue = new QueueClient(stack.azurite.connectionString, queueNames.escalations);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
    expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toEqual([]);
  });
});
