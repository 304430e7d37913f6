import { beforeEach, describe, expect, it } from "vitest";
import { alertMessageBytes } from "../../../src/shared/operations/incidents/alert-intake.ts";
import { type AlertMessage } from "../../../src/shared/ports/alert-intake.ts";
import {
  MAX_INLINE_MESSAGE_BYTES,
  alertKeyOf,
  receiveAlert,
} from "../../../src/shared/operations/incidents/intake.ts";
import { processAlert } from "../../../src/shared/operations/incidents/processing.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import { type TestDeps, commonAlert, makeDeps, processQueuedAlerts, recipients } from "./support.ts";

let deps: TestDeps;

beforeEach(() => {
  deps = makeDeps();
});

/**
 * A common-schema alert whose delivery, as it sits in a queue message, is exactly `bytes` long: the
 * description is padded with characters that JSON neither escapes nor widens.
 */
function payloadForMessageBytes(
  instance: string,
  bytes: number,
): { payload: Record<string, unknown>; raw: string } {
  const bare = commonAlert({ instance, description: "" });
  const key = alertKeyOf(bare).key;
  const overhead = alertMessageBytes({ key, raw: JSON.stringify(bare) });
  const payload = commonAlert({ instance, description: "x".repeat(bytes - overhead) });
  const raw = JSON.stringify(payload);
  expect(alertMessageBytes({ key, raw })).toBe(bytes);
  return { payload, raw };
}

describe("alert intake (receiveAlert)", () => {
  it("queues the payload with its key, in a batch message, and writes nothing else", async () => {
    const payload = commonAlert({ instance: "a1" });
    const raw = JSON.stringify(payload);
    const result = await receiveAlert(deps, payload, raw);

    expect(result).toEqual({ key: result.key, recognized: true, alertId: result.alertId });
    expect(result.alertId).toMatch(/\/providers\/Microsoft\.AlertsManagement\/alerts\//);
    expect(result.key).toMatch(/^[0-9a-f]{64}$/);
    expect(deps.queue.history(queueNames.alerts)).toEqual([
      { queue: queueNames.alerts, message: { alerts: [{ key: result.key, raw }] }, delayInSeconds: 0 },
    ]);
    // One durable write: no alert record, no blob, no incident until the message is processed.
    expect(deps.store.alerts.size).toBe(0);
    expect(deps.store.payloads.size).toBe(0);
    expect(deps.store.incidents.size).toBe(0);
  });

  it(`keeps a payload inline while its delivery fits a queue message (${MAX_INLINE_MESSAGE_BYTES} bytes of JSON)`, async () => {
    const { payload, raw } = payloadForMessageBytes("a1", MAX_INLINE_MESSAGE_BYTES);
    const { key } = await receiveAlert(deps, payload, raw);

    expect(deps.queue.peek(queueNames.alerts).map((m) => m.message)).toEqual([{ alerts: [{ key, raw }] }]);
    expect(deps.store.payloads.size).toBe(0);
  });

  it("keeps a payload whose delivery is one byte too large as a blob and queues its name", async () => {
    const { payload, raw } = payloadForMessageBytes("a1", MAX_INLINE_MESSAGE_BYTES + 1);
    const { key, recognized } = await receiveAlert(deps, payload, raw);

    expect(recognized).toBe(true);
    const blob = `payloads/${key}.json`;
    expect(deps.queue.peek(queueNames.alerts).map((m) => m.message)).toEqual([{ alerts: [{ key, blob }] }]);
    expect(deps.store.payloads.get(blob)).toBe(raw);
  });

  it("measures a payload by its escaped UTF-8 size, so quotes and non-ASCII text cannot overflow a message", async () => {
    // 20,000 characters, but every one is three bytes in UTF-8: too large to travel inline.
    const payload = commonAlert({ instance: "a1", description: "€".repeat(20_000) });
    const raw = JSON.stringify(payload);
    expect(raw.length).toBeLessThan(MAX_INLINE_MESSAGE_BYTES);
    const { key } = await receiveAlert(deps, payload, raw);

    expect(deps.queue.peek(queueNames.alerts).map((m) => m.message)).toEqual([
      { alerts: [{ key, blob: `payloads/${key}.json` }] },
    ]);
  });

  it("processes a payload kept as a blob like an inline one", async () => {
    const { payload, raw } = payloadForMessageBytes("a1", 60_000);
    const { key } = await receiveAlert(deps, payload, raw);
    const [processed] = await processQueuedAlerts(deps);

    expect(processed?.message.blob).toBe(`payloads/${key}.json`);
    expect(processed?.outcome).toBe("opened");
    expect(deps.store.alerts.get(key)).toMatchObject({
      status: "processed",
      incidentId: processed?.incidentId,
      raw,
    });
    expect(deps.store.incident(processed!.incidentId!).description).toMatch(/^x{1000}/);
  });

  it("answers a message whose payload blob is gone without doing anything", async () => {
    const gone: AlertMessage = { key: "f".repeat(64), blob: `payloads/${"f".repeat(64)}.json` };
    expect(await processAlert(deps, gone)).toEqual({ incidentId: null, outcome: "payload missing" });
    expect(await processAlert(deps, { key: "f".repeat(64) })).toEqual({
      incidentId: null,
      outcome: "payload missing",
    });
    expect(deps.store.alerts.size).toBe(0);
    expect(deps.store.incidents.size).toBe(0);
  });

  it("tells the fired and the resolved notification of one alert apart", async () => {
    const fired = commonAlert({ instance: "a1" });
    const resolved = commonAlert({ instance: "a1", condition: "Resolved" });
    const a = await receiveAlert(deps, fired, JSON.stringify(fired));
    const b = await receiveAlert(deps, resolved, JSON.stringify(resolved));
    expect(b.key).not.toBe(a.key);
    expect(b.alertId).toBe(a.alertId);
  });

  it("queues an unrecognized payload with recognized false and no alert id", async () => {
    const result = await receiveAlert(deps, { hello: "world" }, '{"hello":"world"}');

    expect(result).toEqual({ key: result.key, recognized: false, alertId: null });
    expect(deps.queue.peek(queueNames.alerts).map((m) => m.message)).toEqual([
      { alerts: [{ key: result.key, raw: '{"hello":"world"}' }] },
    ]);
  });
});

describe("alert intake: duplicates are sorted out by the processing", () => {
  it("queues the same payload delivered twice twice, and processing makes one incident of it", async () => {
    const payload = commonAlert({ instance: "a1" });
    const first = await receiveAlert(deps, payload, JSON.stringify(payload));
    const second = await receiveAlert(deps, payload, JSON.stringify(payload));
    expect(second).toEqual(first);
    expect(deps.queue.peek(queueNames.alerts)).toHaveLength(2);

    const [a, b] = await processQueuedAlerts(deps);
    expect(a).toMatchObject({ outcome: "opened" });
    expect(b).toMatchObject({ incidentId: a!.incidentId, outcome: "duplicate" });
    expect(deps.store.incidents.size).toBe(1);
    expect(deps.store.incident(a!.incidentId!).alertCount).toBe(1);
    expect(deps.store.alerts.size).toBe(1);
    expect(deps.store.notificationsOf(a!.incidentId!)).toHaveLength(1);
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(1);
  });

  it("answers a delivery that comes again after its alert was processed as a duplicate", async () => {
    const payload = commonAlert({ instance: "a1" });
    await receiveAlert(deps, payload, JSON.stringify(payload));
    const [opened] = await processQueuedAlerts(deps);
    const version = deps.store.versionOf(opened!.incidentId!);

    await receiveAlert(deps, payload, JSON.stringify(payload));
    const [again] = await processQueuedAlerts(deps);
    expect(again).toMatchObject({ incidentId: opened!.incidentId, outcome: "duplicate" });
    expect(deps.store.versionOf(opened!.incidentId!)).toBe(version);
  });

  it("answers two deliveries of one large payload, each kept as a blob, as one alert", async () => {
    const { payload, raw } = payloadForMessageBytes("a1", 50_000);
    await receiveAlert(deps, payload, raw);
    await receiveAlert(deps, payload, raw);
    const outcomes = (await processQueuedAlerts(deps)).map((r) => r.outcome);

    expect(outcomes).toEqual(["opened", "duplicate"]);
    expect(deps.store.payloads.size).toBe(1);
    expect(deps.store.incidents.size).toBe(1);
  });

  it("reports an unrecognized payload to the default recipients as one incident, however often it comes", async () => {
    const first = await receiveAlert(deps, { hello: "world" }, '{"hello":"world"}');
    const [opened] = await processQueuedAlerts(deps);
    expect(opened?.outcome).toBe("unrecognized payload reported");
    const record = deps.store.alerts.get(first.key)!;
    expect(record).toMatchObject({ alert: null, raw: '{"hello":"world"}', status: "processed" });
    expect(record.unrecognized?.reason).toBeTruthy();
    expect(record.unrecognized?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const incident = deps.store.incident(opened!.incidentId!);
    expect(incident).toMatchObject({ source: "unrecognized", environment: null, priority: "medium" });
    expect(incident.description).toContain('{"hello":"world"}');
    expect(deps.store.notificationsOf(incident.id).map((n) => n.to)).toEqual([recipients.default]);

    // Another delivery with other bytes of the same content (same fingerprint): same key, a duplicate.
    const second = await receiveAlert(deps, { hello: "world" }, '{ "hello": "world" }');
    expect(second.key).toBe(first.key);
    const [again] = await processQueuedAlerts(deps);
    expect(again).toMatchObject({ incidentId: incident.id, outcome: "duplicate" });
    expect(deps.store.incidents.size).toBe(1);
    expect(deps.store.notificationsOf(incident.id)).toHaveLength(1);
  });
});
