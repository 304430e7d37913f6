import { beforeEach, describe, expect, it, vi } from "vitest";
import { OpsError } from "../../../src/shared/errors.ts";
import {
  type AlertBatch,
  type AlertMessage,
  BatchingAlertIntake,
  MAX_BATCH_ALERTS,
  alertMessageBytes,
  readAlertQueueMessage,
} from "../../../src/shared/operations/incidents/alert-intake.ts";
import { MAX_INLINE_MESSAGE_BYTES, receiveAlert } from "../../../src/shared/operations/incidents/intake.ts";
import { processAlertBatch } from "../../../src/shared/operations/incidents/processing.ts";
import { type QueueName, type WorkQueue, queueNames } from "../../../src/shared/ports/work-queue.ts";
import { MemoryWorkQueue } from "../../fakes/incidents.ts";
import { type TestDeps, commonAlert, makeDeps } from "./support.ts";

const message = (n: number): AlertMessage => ({ key: n.toString(16).padStart(64, "0"), raw: `{"n":${n}}` });

/** A queue whose writes wait until the test lets them through. */
class GatedQueue implements WorkQueue {
  readonly sent: { queue: QueueName; message: object }[] = [];
  private gates: (() => void)[] = [];

  async send(queue: QueueName, body: object): Promise<void> {
    await new Promise<void>((resolve) => this.gates.push(resolve));
    this.sent.push({ queue, message: structuredClone(body) });
  }

  openAll(): void {
    for (const open of this.gates.splice(0)) open();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

/** Whether a promise has settled by the time everything already scheduled has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("alert intake batching (group commit)", () => {
  it("writes the deliveries recorded in one turn of the event loop as one queue message, in order", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    await Promise.all([1, 2, 3].map((n) => intake.record(message(n))));

    expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message)).toEqual([
      { alerts: [message(1), message(2), message(3)] },
    ]);
  });

  it("writes a lone delivery at once, in a message of its own", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    await intake.record(message(1));
    await intake.record(message(2));

    expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message.alerts)).toEqual([
      [message(1)],
      [message(2)],
    ]);
  });

  it("gathers deliveries that arrive within the window, one after another, into one message", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      const queue = new MemoryWorkQueue();
      const intake = new BatchingAlertIntake(queue, { windowMs: 30 });
      const first = intake.record(message(1));
      vi.advanceTimersByTime(29);
      expect(await settled(first)).toBe(false);
      const second = intake.record(message(2));
      vi.advanceTimersByTime(1);
      await Promise.all([first, second]);

      expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message.alerts)).toEqual([
        [message(1), message(2)],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("writes a batch that filled up before its window ended once, and opens the next one", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      const queue = new MemoryWorkQueue();
      const intake = new BatchingAlertIntake(queue, { windowMs: 30, maxAlerts: 2 });
      const full = [intake.record(message(1)), intake.record(message(2))];
      const next = intake.record(message(3));
      await Promise.all(full);
      expect(await settled(next)).toBe(false);
      // The full batch's own timer comes due now: it must write nothing again.
      vi.advanceTimersByTime(30);
      await next;

      expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message.alerts)).toEqual([
        [message(1), message(2)],
        [message(3)],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers no caller before the message holding its delivery is written", async () => {
    const queue = new GatedQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    const first = intake.record(message(1));
    const second = intake.record(message(2));

    expect(await settled(first)).toBe(false);
    expect(await settled(second)).toBe(false);
    expect(queue.waiting).toBe(1);
    queue.openAll();
    await Promise.all([first, second]);
    expect(queue.sent).toEqual([{ queue: queueNames.alerts, message: { alerts: [message(1), message(2)] } }]);
  });

  it("starts a new message when the next delivery would pass the byte budget", async () => {
    const queue = new MemoryWorkQueue();
    const perMessage = alertMessageBytes(message(1)) + 1;
    const intake = new BatchingAlertIntake(queue, { windowMs: 0, maxBytes: perMessage * 2 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => intake.record(message(n))));

    expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message.alerts)).toEqual([
      [message(1), message(2)],
      [message(3), message(4)],
      [message(5)],
    ]);
  });

  it("starts a new message after the most deliveries one message may hold", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0, maxAlerts: 3 });
    await Promise.all([1, 2, 3, 4].map((n) => intake.record(message(n))));

    expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message.alerts.length)).toEqual([3, 1]);
  });

  it("fails every caller of a batch the queue refused, and the next batch is written as usual", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    queue.failOnce(queueNames.alerts);
    const refused = await Promise.allSettled([intake.record(message(1)), intake.record(message(2))]);
    expect(refused.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(OpsError);

    await intake.record(message(3));
    expect(queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message.alerts)).toEqual([[message(3)]]);
  });
});

describe("alert batch processing", () => {
  let deps: TestDeps;
  beforeEach(() => {
    deps = makeDeps();
  });

  async function queueBatch(instances: string[]): Promise<AlertBatch> {
    await Promise.all(
      instances.map((instance) => {
        const payload = commonAlert({ instance, rule: `rule-${instance}` });
        return receiveAlert(deps, payload, JSON.stringify(payload));
      }),
    );
    const [queued, ...more] = deps.queue.drain<AlertBatch>(queueNames.alerts);
    expect(more).toEqual([]);
    return queued!.message;
  }

  it("opens an incident for every delivery of a batch and counts the outcomes", async () => {
    const batch = await queueBatch(["a1", "a2", "a3"]);
    expect(batch.alerts).toHaveLength(3);

    expect(await processAlertBatch(deps, batch)).toEqual({
      processed: 3,
      outcomes: { opened: 3 },
    });
    expect(deps.store.incidents.size).toBe(3);
  });

  it("processes the rest of a batch when one delivery fails, then fails so the message comes again", async () => {
    const batch = await queueBatch(["a1", "a2", "a3"]);
    deps.store.failOnce("insertAlert");

    const error = await processAlertBatch(deps, batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsError);
    // The store's own error code is kept, and the failed delivery is named for whoever reads the log.
    expect(error).toMatchObject({
      code: "StoreFailed",
      details: { failed: [batch.alerts[0]!.key.slice(0, 16)], outcomes: { opened: 2 } },
    });
    expect((error as OpsError).message).toMatch(/^1 of 3 alert deliveries failed/);
    expect(deps.store.incidents.size).toBe(2);

    // The retry: the two done before are duplicates, the failed one opens its incident.
    expect(await processAlertBatch(deps, batch)).toEqual({
      processed: 3,
      outcomes: { duplicate: 2, opened: 1 },
    });
    expect(deps.store.incidents.size).toBe(3);
  });

  it("processes the good deliveries of a message with a malformed one, then fails so it is kept", async () => {
    const batch = await queueBatch(["a1", "a2"]);
    const body = { alerts: [batch.alerts[0], { key: "not-a-key", raw: "{}" }, batch.alerts[1]] };

    const error = await processAlertBatch(deps, body).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BadRequest", details: { failed: ["#1"], outcomes: { opened: 2 } } });
    expect((error as OpsError).message).toMatch(/delivery #1 of the message is malformed \(key: /);
    expect(deps.store.incidents.size).toBe(2);
  });

  it("keeps a firing and its resolution in order within a message while other incidents go side by side", async () => {
    const fired = commonAlert({ instance: "cpu-1", rule: "rule-cpu" });
    const resolved = commonAlert({ instance: "cpu-1", rule: "rule-cpu", condition: "Resolved" });
    const others = ["b1", "b2", "b3", "b4", "b5", "b6"].map((instance) =>
      commonAlert({ instance, rule: `rule-${instance}` }),
    );
    await Promise.all(
      [fired, ...others, resolved].map((payload) => receiveAlert(deps, payload, JSON.stringify(payload))),
    );
    const [queued] = deps.queue.drain<AlertBatch>(queueNames.alerts);
    // One message: the firing first, the six other incidents, then the resolution.
    const deliveries = queued!.message.alerts;
    const isCpu = (d: (typeof deliveries)[number]) => d.raw?.includes('"rule-cpu"') === true;
    const isResolution = (d: (typeof deliveries)[number]) => d.raw?.includes('"Resolved"') === true;
    queued!.message.alerts = [
      ...deliveries.filter((d) => isCpu(d) && !isResolution(d)),
      ...deliveries.filter((d) => !isCpu(d)),
      ...deliveries.filter((d) => isCpu(d) && isResolution(d)),
    ];
    expect(queued!.message.alerts).toHaveLength(8);

    expect(await processAlertBatch(deps, queued!.message)).toEqual({
      processed: 8,
      outcomes: { opened: 7, "auto-resolved": 1 },
    });
    const cpu = [...deps.store.incidents.values()].map((i) => i.incident).find((i) => i.rule === "rule-cpu");
    expect(cpu?.status).toBe("resolved");
  });

  it("processes a one-delivery message as earlier versions queued them", async () => {
    const batch = await queueBatch(["a1"]);
    expect(await processAlertBatch(deps, batch.alerts[0])).toEqual({ processed: 1, outcomes: { opened: 1 } });
  });
});

describe("reading an alerts-queue message", () => {
  const good = message(1);

  it("takes every delivery of a batch, in order", () => {
    expect(readAlertQueueMessage({ alerts: [good, message(2)] })).toEqual({
      alerts: [good, message(2)],
      rejected: [],
    });
  });

  it("takes a single delivery, the shape earlier versions queued", () => {
    expect(readAlertQueueMessage(good)).toEqual({ alerts: [good], rejected: [] });
  });

  it("names each malformed delivery by its place and keeps the good ones", () => {
    const read = readAlertQueueMessage({ alerts: [good, { raw: "{}" }, 42, message(2)] });
    expect(read.alerts).toEqual([good, message(2)]);
    expect(read.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(read.rejected[0]!.issues).toMatch(/^key: /);
  });

  it("rejects an empty batch and a message that is no delivery at all", () => {
    expect(readAlertQueueMessage({ alerts: [] })).toEqual({
      alerts: [],
      rejected: [{ index: 0, issues: "alerts: the batch is empty" }],
    });
    expect(readAlertQueueMessage("hello").rejected).toHaveLength(1);
    expect(readAlertQueueMessage(null).alerts).toEqual([]);
  });
});

describe("alert batches fit a queue message", () => {
  /** What Azure Storage counts: the base64 text of the message (at most 64 KiB). */
  const base64Length = (body: object): number => Buffer.from(JSON.stringify(body)).toString("base64").length;

  it("keeps the largest inline delivery, alone in its batch, within 64 KiB once base64-encoded", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    const filler = "x".repeat(MAX_INLINE_MESSAGE_BYTES - alertMessageBytes({ key: "0".repeat(64), raw: "" }));
    const largest = { key: "0".repeat(64), raw: filler };
    expect(alertMessageBytes(largest)).toBe(MAX_INLINE_MESSAGE_BYTES);
    await Promise.all([intake.record(message(1)), intake.record(largest), intake.record(message(2))]);

    const sent = queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message);
    expect(sent.map((b) => b.alerts.length)).toEqual([1, 1, 1]);
    for (const body of sent) expect(base64Length(body)).toBeLessThanOrEqual(64 * 1024);
  });

  it("keeps a batch filled to its byte budget within 64 KiB once base64-encoded", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    const quoted = (n: number): AlertMessage => ({
      key: message(n).key,
      raw: `{"q":"${'\\"'.repeat(400)}"}`,
    });
    await Promise.all(Array.from({ length: 60 }, (_, n) => intake.record(quoted(n))));

    const sent = queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.flatMap((b) => b.alerts)).toHaveLength(60);
    for (const body of sent) expect(base64Length(body)).toBeLessThanOrEqual(64 * 1024);
  });

  it("keeps a batch of the most deliveries a message may hold within 64 KiB once base64-encoded", async () => {
    const queue = new MemoryWorkQueue();
    const intake = new BatchingAlertIntake(queue, { windowMs: 0 });
    await Promise.all(Array.from({ length: MAX_BATCH_ALERTS + 1 }, (_, n) => intake.record(message(n))));

    const sent = queue.history<AlertBatch>(queueNames.alerts).map((m) => m.message);
    expect(sent.map((b) => b.alerts.length)).toEqual([MAX_BATCH_ALERTS, 1]);
    for (const body of sent) expect(base64Length(body)).toBeLessThanOrEqual(64 * 1024);
  });
});
