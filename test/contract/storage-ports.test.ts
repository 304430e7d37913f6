import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Azurite } from "../../local/azurite.ts";
import type { Runtime } from "../../src/shared/composition/runtime.ts";
import type { DiagnosticsStore } from "../../src/shared/ports/diagnostics-store.ts";
import { type QueueName, type WorkQueue, queueNames } from "../../src/shared/ports/work-queue.ts";
import { MemoryIncidentStore, MemoryWorkQueue } from "../fakes/incidents.ts";
import { azuriteRuntimes } from "./storage-runtime.ts";

/** Storage-backed ports: each in-memory fake against its adapter on Azurite. */
let azurite: Azurite;
let runtime: (prefix?: string) => Runtime;
beforeAll(async () => {
  ({ azurite, runtime } = await azuriteRuntimes());
});
afterAll(async () => {
  await azurite?.close();
});

interface QueueUnderTest {
  queue: WorkQueue;
  /** The messages visible now on a queue, as the queue trigger would receive them. */
  visible: (name: QueueName) => Promise<object[]>;
}

const queues: [string, () => QueueUnderTest][] = [
  [
    "in-memory fake",
    () => {
      const fake = new MemoryWorkQueue();
      return {
        queue: fake,
        visible: async (name) =>
          fake
            .peek(name)
            .filter((m) => m.delayInSeconds === 0)
            .map((m) => m.message),
      };
    },
  ],
  [
    "Storage queue adapter on Azurite",
    () => ({
      queue: runtime().ports.queue,
      visible: async (name) => {
        const client = new QueueClient(azurite.connectionString, name);
        const { receivedMessageItems } = await client.receiveMessages({
          numberOfMessages: 32,
          visibilityTimeout: 1,
        });
        return receivedMessageItems.map(
          // The Functions host decodes base64 queue messages: the adapter writes them so.
          (m) => JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")) as object,
        );
      },
    }),
  ],
];

describe.each(queues)("WorkQueue contract: %s", (_name, make) => {
  it("delivers a message whole, and a delayed one not before its time", async () => {
    const { queue, visible } = make();
    const message = {
      incidentId: `INC-${Math.random().toString(36).slice(2)}`,
      level: 1,
      round: 0,
      note: 'é ✓ "x"',
    };
    await queue.send(queueNames.escalations, message);
    await queue.send(queueNames.escalations, { ...message, level: 2 }, { delayInSeconds: 600 });
    const seen = (await visible(queueNames.escalations)).filter(
      (m) => (m as { incidentId?: string }).incidentId === message.incidentId,
    );
    expect(seen).toEqual([message]);
  });
});

const diagnostics: [string, () => DiagnosticsStore][] = [
  ["in-memory fake", () => new MemoryIncidentStore()],
  ["Blob adapter on Azurite", () => runtime().ports.diagnostics],
];

describe.each(diagnostics)("DiagnosticsStore contract: %s", (_name, make) => {
  it("keeps a bundle whole per incident and answers undefined for one it has not", async () => {
    const store = make();
    const body = JSON.stringify({ rows: "x".repeat(200_000), text: "ünïcode" });
    await store.saveDiagnostics("INC-contract-1", body);
    expect(await store.getDiagnostics("INC-contract-1")).toBe(body);
    expect(await store.getDiagnostics("INC-contract-none")).toBeUndefined();
  });
});
