import { createHash, randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { MAX_DOCUMENT_BYTES } from "../../src/shared/adapters/table-incident-store.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type { AlertRecord, Incident, NotificationRecord } from "../../src/shared/incidents/model.ts";
import type { AlertStore } from "../../src/shared/ports/alert-store.ts";
import type { IncidentStore } from "../../src/shared/ports/incident-store.ts";
import type { NotificationOutbox } from "../../src/shared/ports/notification-outbox.ts";
import { MemoryIncidentStore } from "../fakes/incidents.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * Documents far larger than one table property (64 KiB) or one entity (1 MiB): the largest alert the
 * webhook accepts, a long email page, an incident that has seen many alerts. The same cases run on the
 * table adapter (Azurite) and on the in-memory fake, so the fake accepts only what the adapter keeps.
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

const MIB = 1024 * 1024;

/**
 * A JSON body of exactly `bytes` UTF-8 bytes (the webhook's default limit is 1 MiB), with two- three-
 * and four-byte characters and characters that JSON must escape.
 */
function bigJson(bytes: number): string {
  const piece = 'é ü € 🔥 日本 "quoted" back\\slash\nline\ttab <b>&amp; \u0001 ';
  const parts: string[] = [];
  let size = Buffer.byteLength(JSON.stringify({ description: "" }));
  const pieceBytes = Buffer.byteLength(JSON.stringify(piece)) - 2;
  while (size + pieceBytes <= bytes) {
    parts.push(piece);
    size += pieceBytes;
  }
  const body = JSON.stringify({ description: parts.join("") + "x".repeat(bytes - size) });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

function alertRecord(raw: string, reason = "no known shape"): AlertRecord {
  return {
    key: createHash("sha256").update(randomUUID()).digest("hex"),
    receivedAt: "2026-11-26T06:00:00.000Z",
    status: "received",
    alert: null,
    unrecognized: { reason, fingerprint: "f" },
    raw,
    incidentId: null,
  };
}

function notification(): NotificationRecord {
  const line = '<p>Ünïcødé 🔥 "alert" on <code>web\\app</code> &amp; more</p>\n';
  return {
    id: `open-${randomUUID()}`,
    incidentId: `INC-${randomUUID()}`,
    step: "open",
    to: ["ops@phoenixvc.tech"],
    subject: "High CPU on prod 🔥",
    html: line.repeat(Math.ceil((400 * 1024) / line.length)),
    text: 'Text part: é € 日本 "q" \\ \t\n'.repeat(12_000),
    status: "pending",
    queuedAt: null,
    attempts: 0,
    lastError: null,
    createdAt: "2026-11-26T06:00:00.000Z",
    sentAt: null,
  };
}

function bigIncident(): Incident {
  const id = `INC-${randomUUID()}`;
  const key = (i: number): string => createHash("sha256").update(`${id}|${i}`).digest("hex");
  return {
    id,
    dedupKey: `rule|${id}`,
    source: "alert",
    title: "High CPU on web-app 🔥",
    description: 'A description with "quotes", é and \\ backslashes\n'.repeat(200),
    environment: "prod",
    rule: "high-cpu-usage",
    target: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web",
    priority: "high",
    status: "open",
    suppressedBy: null,
    openedAt: "2026-11-26T06:00:00.000Z",
    openedBy: "alert (Platform)",
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    alertCount: 12_000,
    activeAlerts: Array.from({ length: 2_000 }, (_, i) => key(-i)),
    // 12 000 keys of 64 hex digits: about 800 K characters, past both the property and entity limits.
    appliedAlertKeys: Array.from({ length: 12_000 }, (_, i) => key(i)),
    lastAlertAt: "2026-11-26T07:00:00.000Z",
    link: null,
    values: Array.from({ length: 3_000 }, (_, i) => ({
      name: `CpuPercentage ${i} é`,
      value: 80 + (i % 20),
      threshold: 80,
      operator: "GreaterThan",
      aggregation: "Average",
    })),
    isTest: false,
    recipients: ["ops@phoenixvc.tech"],
    escalationPolicy: null,
    escalation: null,
    diagnostics: { status: "not-applicable", blob: null, error: null },
  };
}

type Stores = { alerts: AlertStore; incidents: IncidentStore; outbox: NotificationOutbox };

/** Each case runs against a store and, where it matters, a second instance reading the same state. */
const backends: [string, () => { writer: Stores; reader: Stores }][] = [
  ["TableIncidentStore on Azurite", () => ({ writer: one.ports, reader: two.ports })],
  [
    "MemoryIncidentStore",
    () => {
      const store = new MemoryIncidentStore();
      const stores = { alerts: store, incidents: store, outbox: store };
      return { writer: stores, reader: stores };
    },
  ],
];

async function tooLarge(work: Promise<unknown>, what: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpsError);
  expect(error).toMatchObject({ code: "StoreFailed", retryable: false });
  expect((error as OpsError).message).toMatch(what);
  expect((error as OpsError).message).toMatch(/too large/);
}

describe.each(backends)("%s: large documents are stored whole", (_name, make) => {
  it("keeps the largest alert the webhook accepts (1 MiB of JSON) byte for byte", async () => {
    const { writer, reader } = make();
    const record = alertRecord(bigJson(MIB));
    expect(await writer.alerts.insertAlert(record)).toBe("inserted");
    // A redelivery of the same large alert is recognised, not a failure.
    expect(await reader.alerts.insertAlert(record)).toBe("exists");
    const stored = await reader.alerts.getAlert(record.key);
    expect(stored?.raw).toBe(record.raw);
    expect(JSON.parse(stored?.raw ?? "")).toEqual(JSON.parse(record.raw));
    await writer.alerts.markAlertProcessed(record.key, "INC-1");
    expect(await reader.alerts.getAlert(record.key)).toEqual({
      ...record,
      status: "processed",
      incidentId: "INC-1",
    });
  });

  it("keeps an alert record whose own document is larger than a property", async () => {
    const { writer, reader } = make();
    const record = alertRecord('{"a":1}', 'é "why" \\ '.repeat(20_000));
    expect(await writer.alerts.insertAlert(record)).toBe("inserted");
    expect(await reader.alerts.getAlert(record.key)).toEqual(record);
  });

  it("keeps a notification of several hundred KB of html and text, and updates it", async () => {
    const { writer, reader } = make();
    const record = notification();
    expect(record.html.length + record.text.length).toBeGreaterThan(600_000);
    expect(await writer.outbox.insertNotification(record)).toBe("inserted");
    expect(await reader.outbox.insertNotification(record)).toBe("exists");
    expect(await reader.outbox.getNotification(record.incidentId, record.id)).toEqual(record);
    await writer.outbox.updateNotification(record.incidentId, record.id, {
      status: "sent",
      attempts: 1,
      sentAt: "2026-11-26T06:01:00.000Z",
    });
    expect(await reader.outbox.getNotification(record.incidentId, record.id)).toEqual({
      ...record,
      status: "sent",
      attempts: 1,
      sentAt: "2026-11-26T06:01:00.000Z",
    });
  });

  it("keeps an incident with many values and alert keys, updates it and lists it", async () => {
    const { writer, reader } = make();
    const incident = bigIncident();
    expect(JSON.stringify(incident).length).toBeGreaterThan(MIB);
    expect(await writer.incidents.createIncident(incident)).toBe("created");
    expect(await reader.incidents.createIncident(incident)).toBe("exists");
    expect(await reader.incidents.getIncident(incident.id)).toEqual(incident);
    const updated = await reader.incidents.updateIncident(incident.id, (current) => ({
      ...current,
      alertCount: current.alertCount + 1,
      appliedAlertKeys: [...current.appliedAlertKeys, "f".repeat(64)],
    }));
    expect(updated.appliedAlertKeys).toHaveLength(12_001);
    expect(await writer.incidents.getIncident(incident.id)).toEqual(updated);
    const listed = await writer.incidents.listIncidents({ status: "open", limit: 1000 });
    expect(listed.find((i) => i.id === incident.id)).toEqual(updated);
    const between = await writer.incidents.listIncidentsOpenedBetween(
      "2026-11-26T05:59:00.000Z",
      "2026-11-26T06:01:00.000Z",
    );
    expect(between.find((i) => i.id === incident.id)).toEqual(updated);
  });

  it("refuses on write, naming it, a document larger than the store keeps; nothing half-written stays", async () => {
    const { writer, reader } = make();
    const record = alertRecord("x".repeat(MAX_DOCUMENT_BYTES + 1));
    await tooLarge(writer.alerts.insertAlert(record), new RegExp(`payload of alert ${record.key}`));
    expect(await reader.alerts.getAlert(record.key)).toBeUndefined();

    const incident = bigIncident();
    await writer.incidents.createIncident(incident);
    await tooLarge(
      writer.incidents.updateIncident(incident.id, (current) => ({
        ...current,
        description: "y".repeat(MAX_DOCUMENT_BYTES),
      })),
      new RegExp(`incident ${incident.id}`),
    );
    expect(await reader.incidents.getIncident(incident.id)).toEqual(incident);
  });
});

describe("TableIncidentStore on Azurite: large documents under concurrency, and old rows", () => {
  it("applies concurrent updates of a large incident from two instances and keeps one blob for it", async () => {
    const incident = bigIncident();
    await one.ports.incidents.createIncident(incident);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? one : two).ports.incidents.updateIncident(incident.id, (current) => ({
          ...current,
          alertCount: current.alertCount + 1,
          appliedAlertKeys: [...current.appliedAlertKeys, `k${i}`],
        })),
      ),
    );
    const stored = await two.ports.incidents.getIncident(incident.id);
    expect(stored?.alertCount).toBe(incident.alertCount + 8);
    expect(stored?.appliedAlertKeys.filter((k) => k.startsWith("k")).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `k${i}`).sort(),
    );
    // Every losing write removed its own blob and every winner the one it replaced.
    const owner = createHash("sha256").update(`incidents/${incident.id}`).digest("hex");
    const blobs: string[] = [];
    for await (const blob of diagnostics().listBlobsFlat({ prefix: `documents/${owner}/` })) {
      blobs.push(blob.name);
    }
    expect(blobs).toHaveLength(1);
  });

  it("answers a row cut by an earlier version with an OpsError that says so, not a SyntaxError", async () => {
    const prefix = stack.settings.PHOENIX_STATE_TABLE_PREFIX ?? "phoenix";
    const cut = bigJson(100_000).slice(0, 30_000);
    const key = createHash("sha256").update(randomUUID()).digest("hex");
    await table(`${prefix}alerts`).createEntity({
      partitionKey: key.slice(0, 2),
      rowKey: key,
      doc: JSON.stringify({ ...alertRecord(""), raw: undefined, key }),
      raw: cut,
      status: "received",
    });
    const alertError = await one.ports.alerts.getAlert(key).catch((e: unknown) => e);
    expect(alertError).toBeInstanceOf(OpsError);
    expect(alertError).toMatchObject({ code: "StoreFailed", retryable: false });
    expect((alertError as OpsError).message).toMatch(new RegExp(`payload of alert ${key}.*cut at 30000`));

    const id = `INC-${randomUUID()}`;
    await table(`${prefix}incidents`).createEntity({
      partitionKey: "incident",
      rowKey: id,
      doc: JSON.stringify(bigIncident()).slice(0, 30_000),
      status: "open",
      openedAt: "2026-11-26T06:00:00.000Z",
      priority: "high",
    });
    const incidentError = await one.ports.incidents.getIncident(id).catch((e: unknown) => e);
    expect(incidentError).toBeInstanceOf(OpsError);
    expect(incidentError).not.toBeInstanceOf(SyntaxError);
    expect((incidentError as OpsError).message).toMatch(new RegExp(`incident ${id}.*cut at 30000`));
    await expect(one.ports.incidents.updateIncident(id, (current) => current)).rejects.toBeInstanceOf(
      OpsError,
    );
    // Removed again, so that it does not stand in the way of later lists in this file.
    await table(`${prefix}incidents`).deleteEntity("incident", id);
  });
});

function table(name: string): TableClient {
  return TableClient.fromConnectionString(stack.azurite.connectionString, name, {
    allowInsecureConnection: true,
  });
}

function diagnostics(): ReturnType<BlobServiceClient["getContainerClient"]> {
  const prefix = (stack.settings.PHOENIX_STATE_TABLE_PREFIX ?? "phoenix").toLowerCase();
  return BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient(
    `${prefix}-diagnostics`,
  );
}
