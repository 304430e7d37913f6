import { incidentRecord } from "../../src/shared/operations/incidents/common.ts";
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Azurite } from "../../local/azurite.ts";
import type { Runtime } from "../../src/shared/composition/runtime.ts";
import type { AlertRecord, Incident, NotificationRecord } from "../../src/shared/incidents/model.ts";
import type { AlertStore } from "../../src/shared/ports/alert-store.ts";
import type { IncidentStore } from "../../src/shared/ports/incident-store.ts";
import type { NotificationOutbox } from "../../src/shared/ports/notification-outbox.ts";
import { MemoryIncidentStore } from "../fakes/incidents.ts";
import { azuriteRuntimes } from "./storage-runtime.ts";

/**
 * The incident storage ports (incidents and their keys and history, alert records, the email outbox):
 * the in-memory fake against the Table and Blob adapter on Azurite. Each case gets a store of its own
 * (a fresh fake, or a fresh table prefix), and a second instance of the app on the same storage.
 */
let azurite: Azurite;
let runtime: (prefix?: string) => Runtime;
beforeAll(async () => {
  ({ azurite, runtime } = await azuriteRuntimes());
});
afterAll(async () => {
  await azurite?.close();
});

interface Storage {
  incidents: IncidentStore;
  alerts: AlertStore;
  outbox: NotificationOutbox;
}

const stores: [string, () => { store: Storage; other: () => Storage }][] = [
  [
    "in-memory fake",
    () => {
      const fake = new MemoryIncidentStore();
      const store = { incidents: fake, alerts: fake, outbox: fake };
      return { store, other: () => store };
    },
  ],
  [
    "Table adapter on Azurite",
    () => {
      const first = runtime();
      const ports = (r: Runtime): Storage => ({
        incidents: r.ports.incidents,
        alerts: r.ports.alerts,
        outbox: r.ports.outbox,
      });
      return {
        store: ports(first),
        other: () => ports(runtime(first.settings.PHOENIX_STATE_TABLE_PREFIX)),
      };
    },
  ],
];

function incident(id: string, overrides: Partial<Incident> = {}): Incident {
  return incidentRecord({
    id,
    dedupKey: `rule|${id}`,
    source: "alert",
    title: `rule on ${id} é 🔥`,
    description: null,
    environment: "prod",
    rule: "rule",
    target: null,
    priority: "medium",
    openedAt: "2026-11-26T06:00:00.000Z",
    openedBy: "alert (Platform)",
    recipients: ["ops@phoenixvc.tech"],
    ...overrides,
  });
}

function alertRecord(raw = '{"hello":"wörld"}'): AlertRecord {
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

function notification(incidentId: string, id: string): NotificationRecord {
  return {
    id,
    incidentId,
    step: "open",
    to: ["ops@phoenixvc.tech"],
    subject: "High CPU on prod 🔥",
    html: "<p>é</p>",
    text: "é",
    status: "pending",
    queuedAt: null,
    attempts: 0,
    lastError: null,
    createdAt: "2026-11-26T06:00:00.000Z",
    sentAt: null,
  };
}

describe.each(stores)("IncidentStore contract: %s", (_name, make) => {
  it("lets exactly one of many concurrent claims from two instances create the incident; the others learn its id", async () => {
    const { store, other } = make();
    const second = other();
    const dedupKey = `rule|${randomUUID()}`;
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? store : second).incidents.claimIncidentKey(dedupKey, `INC-${i}`),
      ),
    );
    const created = claims.filter((c) => c.created);
    expect(created).toHaveLength(1);
    for (const c of claims) expect(c.incidentId).toBe(created[0]!.incidentId);
    expect(await second.incidents.findIncidentKey(dedupKey)).toBe(created[0]!.incidentId);
  });

  it("finds a key without claiming it, and frees it only for the incident that holds it", async () => {
    const { store, other } = make();
    const { incidents } = store;
    const dedupKey = "rule|/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web é";
    expect(await incidents.findIncidentKey(dedupKey)).toBeUndefined();
    expect(await incidents.claimIncidentKey(dedupKey, "INC-1")).toEqual({
      created: true,
      incidentId: "INC-1",
    });
    expect(await other().incidents.findIncidentKey(dedupKey)).toBe("INC-1");

    await other().incidents.releaseIncidentKey(dedupKey, "INC-other");
    expect(await incidents.findIncidentKey(dedupKey)).toBe("INC-1");
    expect(await incidents.claimIncidentKey(dedupKey, "INC-2")).toEqual({
      created: false,
      incidentId: "INC-1",
    });

    await other().incidents.releaseIncidentKey(dedupKey, "INC-1");
    expect(await incidents.findIncidentKey(dedupKey)).toBeUndefined();
    await incidents.releaseIncidentKey(dedupKey, "INC-1");
    expect(await incidents.claimIncidentKey(dedupKey, "INC-3")).toEqual({
      created: true,
      incidentId: "INC-3",
    });
  });

  it("creates an incident once: the same id again answers 'exists' and keeps the first", async () => {
    const { store, other } = make();
    const first = incident("INC-20261126-create01");
    expect(await store.incidents.createIncident(first)).toBe("created");
    expect(await other().incidents.createIncident({ ...first, title: "another" })).toBe("exists");
    expect(await other().incidents.getIncident(first.id)).toEqual(first);
    expect(await store.incidents.getIncident("INC-20261126-none")).toBeUndefined();
    // An id that could not have been stored (a row key) is no incident.
    expect(await store.incidents.getIncident("INC/../x")).toBeUndefined();
  });

  it("applies concurrent updates from two instances without losing any", async () => {
    const { store, other } = make();
    const second = other();
    const id = "INC-20261126-update01";
    await store.incidents.createIncident(incident(id));
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? store : second).incidents.updateIncident(id, (current) => ({
          ...current,
          alertCount: current.alertCount + 1,
          appliedAlertKeys: [...current.appliedAlertKeys, `k${i}`],
        })),
      ),
    );
    const stored = await second.incidents.getIncident(id);
    expect(stored?.alertCount).toBe(12);
    expect(new Set(stored?.appliedAlertKeys).size).toBe(12);

    // A change that returns nothing leaves the incident as it is, and answers it.
    expect(await store.incidents.updateIncident(id, () => undefined)).toEqual(stored);
    expect(await store.incidents.updateIncident(id, (c) => ({ ...c, status: "resolved" }))).toMatchObject({
      status: "resolved",
      alertCount: 12,
    });
    await expect(store.incidents.updateIncident("INC-20261126-none", (c) => c)).rejects.toMatchObject({
      code: "NotFound",
    });
  });

  it("lists incidents newest first, by status (as updated), up to the limit", async () => {
    const { store } = make();
    const { incidents } = store;
    const at = (hour: number): string => `2026-11-26T${String(hour).padStart(2, "0")}:00:00.000Z`;
    // Created out of order, and two opened at the same instant: those come in id order.
    await incidents.createIncident(incident("INC-c", { openedAt: at(8) }));
    await incidents.createIncident(incident("INC-a", { openedAt: at(6), status: "resolved" }));
    await incidents.createIncident(incident("INC-e", { openedAt: at(9) }));
    await incidents.createIncident(incident("INC-d", { openedAt: at(9), status: "acknowledged" }));
    await incidents.createIncident(incident("INC-b", { openedAt: at(7) }));

    const ids = (list: Incident[]): string[] => list.map((i) => i.id);
    expect(ids(await incidents.listIncidents({ limit: 10 }))).toEqual([
      "INC-d",
      "INC-e",
      "INC-c",
      "INC-b",
      "INC-a",
    ]);
    expect(ids(await incidents.listIncidents({ limit: 2 }))).toEqual(["INC-d", "INC-e"]);
    expect(ids(await incidents.listIncidents({ status: "open", limit: 10 }))).toEqual([
      "INC-e",
      "INC-c",
      "INC-b",
    ]);
    expect(ids(await incidents.listIncidents({ status: "open", limit: 1 }))).toEqual(["INC-e"]);
    expect(await incidents.listIncidents({ limit: 0 })).toEqual([]);

    await incidents.updateIncident("INC-c", (c) => ({ ...c, status: "resolved" }));
    expect(ids(await incidents.listIncidents({ status: "resolved", limit: 10 }))).toEqual(["INC-c", "INC-a"]);
    expect(ids(await incidents.listIncidents({ status: "open", limit: 10 }))).toEqual(["INC-e", "INC-b"]);
    expect((await incidents.listIncidents({ status: "acknowledged", limit: 10 }))[0]).toEqual(
      incident("INC-d", { openedAt: at(9), status: "acknowledged" }),
    );
  });

  it("lists the incidents opened in a window, oldest first: from included, to excluded", async () => {
    const { store } = make();
    const { incidents } = store;
    for (const [id, openedAt] of [
      ["INC-w4", "2026-11-26T07:00:00.000Z"],
      ["INC-w1", "2026-11-26T05:59:59.999Z"],
      ["INC-w3", "2026-11-26T06:30:00.000Z"],
      ["INC-w2", "2026-11-26T06:00:00.000Z"],
      ["INC-w0", "2026-11-26T06:30:00.000Z"],
    ] as const) {
      await incidents.createIncident(incident(id, { openedAt }));
    }
    const between = await incidents.listIncidentsOpenedBetween(
      "2026-11-26T06:00:00.000Z",
      "2026-11-26T07:00:00.000Z",
    );
    expect(between.map((i) => i.id)).toEqual(["INC-w2", "INC-w0", "INC-w3"]);
    expect(
      await incidents.listIncidentsOpenedBetween("2026-11-27T00:00:00.000Z", "2026-11-28T00:00:00.000Z"),
    ).toEqual([]);
  });

  it("writes an event that has an id once, from either instance, and reads the history oldest first", async () => {
    const { store, other } = make();
    const id = "INC-20261126-history1";
    const { incidents } = store;
    await incidents.appendEvent(id, {
      at: "2026-11-26T06:00:02.000Z",
      type: "notified",
      by: "system",
      detail: "b",
    });
    const opened = { id: "opened", at: "2026-11-26T06:00:01.000Z", type: "opened", by: "alert", detail: "a" };
    await incidents.appendEvent(id, opened);
    await other().incidents.appendEvent(id, { ...opened, at: "2026-11-26T06:00:09.000Z", detail: "again" });
    // Text past one table column is cut to fit one, on both sides of the port.
    await incidents.appendEvent(id, {
      at: "2026-11-26T06:00:03.000Z",
      type: "escalated",
      by: "ö".repeat(600),
      detail: "é".repeat(40_000),
    });

    const history = await other().incidents.listEvents(id);
    expect(history.map((e) => [e.type, e.detail.slice(0, 1)])).toEqual([
      ["opened", "a"],
      ["notified", "b"],
      ["escalated", "é"],
    ]);
    expect(history[0]).toEqual({ at: opened.at, type: "opened", by: "alert", detail: "a" });
    expect(history[2]?.by).toBe("ö".repeat(500));
    expect(history[2]?.detail).toBe("é".repeat(30_000));
    expect(await incidents.listEvents("INC-20261126-nohistory")).toEqual([]);
  });

  it("refuses a call whose signal is already aborted, and writes nothing", async () => {
    const { store } = make();
    const abortSignal = AbortSignal.abort();
    const id = "INC-20261126-aborted1";
    await expect(store.incidents.createIncident(incident(id), { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    await expect(store.incidents.getIncident(id, { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    await expect(store.incidents.updateIncident(id, (c) => c, { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    expect(await store.incidents.getIncident(id)).toBeUndefined();

    const record = alertRecord();
    await expect(store.alerts.insertAlert(record, { abortSignal })).rejects.toMatchObject({
      code: "StoreFailed",
    });
    expect(await store.alerts.getAlert(record.key)).toBeUndefined();
  });
});

describe.each(stores)("AlertStore contract: %s", (_name, make) => {
  it("records a delivery once, keeps the first, and marks it processed", async () => {
    const { store, other } = make();
    const record = alertRecord();
    expect(await store.alerts.insertAlert(record)).toBe("inserted");
    expect(await other().alerts.insertAlert({ ...record, raw: '{"second":true}' })).toBe("exists");
    expect(await other().alerts.getAlert(record.key)).toEqual(record);
    expect(await store.alerts.getAlert(alertRecord().key)).toBeUndefined();

    await other().alerts.markAlertProcessed(record.key, "INC-20261126-alert001");
    expect(await store.alerts.getAlert(record.key)).toEqual({
      ...record,
      status: "processed",
      incidentId: "INC-20261126-alert001",
    });
    await store.alerts.markAlertProcessed(record.key, null);
    expect(await store.alerts.getAlert(record.key)).toEqual({
      ...record,
      status: "processed",
      incidentId: null,
    });
  });

  it("refuses to mark an alert it never recorded", async () => {
    const { store } = make();
    await expect(store.alerts.markAlertProcessed(alertRecord().key, "INC-1")).rejects.toMatchObject({
      code: "StoreFailed",
      retryable: false,
    });
  });

  it("keeps a payload by the blob name it answers, and reads only names it gives out", async () => {
    const { store, other } = make();
    const key = alertRecord().key;
    const raw = JSON.stringify({ description: "x".repeat(70_000), text: "ünïcode 🔥" });
    const blob = await store.alerts.savePayload(key, raw);
    expect(await other().alerts.readPayload(blob)).toBe(raw);
    expect(await other().alerts.readPayload(`payloads/${"0".repeat(64)}.json`)).toBeUndefined();
    expect(await other().alerts.readPayload("incidents/INC-1.json")).toBeUndefined();
  });
});

describe.each(stores)("NotificationOutbox contract: %s", (_name, make) => {
  it("queues a notification once per incident and id, reads it back, and applies a patch", async () => {
    const { store, other } = make();
    const record = notification("INC-20261126-outbox01", "escalation 1/2");
    expect(await store.outbox.insertNotification(record)).toBe("inserted");
    expect(await other().outbox.insertNotification({ ...record, subject: "again" })).toBe("exists");
    // The same id under another incident is another notification.
    const elsewhere = notification("INC-20261126-outbox02", "escalation 1/2");
    expect(await other().outbox.insertNotification(elsewhere)).toBe("inserted");
    expect(await other().outbox.getNotification(record.incidentId, record.id)).toEqual(record);
    expect(await store.outbox.getNotification(record.incidentId, "resolved")).toBeUndefined();

    await other().outbox.updateNotification(record.incidentId, record.id, {
      status: "sent",
      attempts: 1,
      sentAt: "2026-11-26T06:00:05.000Z",
    });
    expect(await store.outbox.getNotification(record.incidentId, record.id)).toEqual({
      ...record,
      status: "sent",
      attempts: 1,
      sentAt: "2026-11-26T06:00:05.000Z",
    });
    expect(await store.outbox.getNotification(elsewhere.incidentId, elsewhere.id)).toEqual(elsewhere);

    // Patching a notification that is not there is no error and creates nothing.
    await store.outbox.updateNotification(record.incidentId, "resolved", { status: "sent" });
    expect(await store.outbox.getNotification(record.incidentId, "resolved")).toBeUndefined();
  });

  it("counts emails against the per-minute limit across instances and says when to try again", async () => {
    const { store, other } = make();
    const second = other();
    const now = new Date("2031-01-01T10:00:30.000Z");
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => (i % 2 ? store : second).outbox.takeEmailAllowance(now, 3, 100)),
    );
    expect(answers.filter((a) => a.allowed)).toHaveLength(3);
    // The rest of this minute.
    expect(answers.filter((a) => !a.allowed)).toEqual([
      { allowed: false, retryAfterSeconds: 30 },
      { allowed: false, retryAfterSeconds: 30 },
    ]);
    expect(await store.outbox.takeEmailAllowance(new Date("2031-01-01T10:01:00.000Z"), 3, 100)).toEqual({
      allowed: true,
    });
  });

  it("counts emails against the per-hour limit, which it checks first, and waits for the next hour", async () => {
    const { store } = make();
    const { outbox } = store;
    expect(await outbox.takeEmailAllowance(new Date("2031-01-01T11:00:10.000Z"), 5, 2)).toEqual({
      allowed: true,
    });
    expect(await outbox.takeEmailAllowance(new Date("2031-01-01T11:10:10.000Z"), 5, 2)).toEqual({
      allowed: true,
    });
    // Both limits are spent: the hour's, checked first, answers (70 s), not the minute's (10 s).
    expect(await outbox.takeEmailAllowance(new Date("2031-01-01T11:58:50.000Z"), 0, 2)).toEqual({
      allowed: false,
      retryAfterSeconds: 70,
    });
    expect(await outbox.takeEmailAllowance(new Date("2031-01-01T12:00:00.000Z"), 5, 2)).toEqual({
      allowed: true,
    });
  });

  it("counts each incident's opening once per minute, across instances", async () => {
    const { store, other } = make();
    const second = other();
    const minute = "2031-01-01T10:01";
    const places = await Promise.all(
      ["INC-a", "INC-b", "INC-c"].map((id, i) => (i % 2 ? store : second).outbox.countOpening(minute, id)),
    );
    expect([...places].sort()).toEqual([1, 2, 3]);
    // A redelivered opening answers the place it was given.
    expect(await store.outbox.countOpening(minute, "INC-b")).toBe(places[1]);
    expect(await second.outbox.countOpening(minute, "INC-d")).toBe(4);
    expect(await second.outbox.countOpening("2031-01-01T10:02", "INC-b")).toBe(1);
  });

  it("remembers the first 1000 openings of a minute by id; past those, only the count grows", async () => {
    const { store } = make();
    const { outbox } = store;
    const minute = "2031-01-01T10:03";
    for (let i = 1; i <= 1000; i++) expect(await outbox.countOpening(minute, `INC-20310101-${i}`)).toBe(i);
    expect(await outbox.countOpening(minute, "INC-20310101-late")).toBe(1001);
    // Redelivered: the tracked one keeps its place, the untracked one is counted again.
    expect(await outbox.countOpening(minute, "INC-20310101-1000")).toBe(1000);
    expect(await outbox.countOpening(minute, "INC-20310101-late")).toBe(1002);
  });
});
