import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Azurite } from "../../local/azurite.ts";
import type { ChangeRecord } from "../../src/shared/change-control/model.ts";
import type { Runtime } from "../../src/shared/composition/runtime.ts";
import type { ChangeJournal } from "../../src/shared/ports/change-journal.ts";
import type { ResourceLeases } from "../../src/shared/ports/resource-leases.ts";
import { MemoryChangeJournal, MemoryLeases } from "../fakes/changes.ts";
import { azuriteRuntimes } from "./storage-runtime.ts";

/** The audit trail and the per-resource leases: the fakes against the Table adapters on Azurite. */
let azurite: Azurite;
let runtime: (prefix?: string) => Runtime;
beforeAll(async () => {
  ({ azurite, runtime } = await azuriteRuntimes());
});
afterAll(async () => {
  await azurite?.close();
});

const plan =
  "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/serverfarms/asp-phoenix-prod";

function record(id: string, key: string, overrides: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    id,
    key,
    requestHash: "h",
    procedure: "scale",
    environment: "prod",
    resourceId: plan,
    action: "scale up to P2V2",
    reason: "high CPU",
    requestedBy: { kind: "alert", name: "high-cpu-usage", alertId: "a-1", incidentId: "INC-1" },
    dryRun: false,
    forced: null,
    status: "requested",
    summary: "P1V2 → P2V2",
    before: { sku: "P1V2" },
    after: { sku: "P2V2" },
    observed: null,
    blockedBy: null,
    error: null,
    createdAt: "2026-11-26T06:00:00.000Z",
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

const journals: [string, () => { journal: ChangeJournal; other: () => ChangeJournal }][] = [
  [
    "in-memory fake",
    () => {
      const journal = new MemoryChangeJournal();
      return { journal, other: () => journal };
    },
  ],
  [
    "Table adapter on Azurite",
    () => {
      const first = runtime();
      return {
        journal: first.ports.changes,
        other: () => runtime(first.settings.PHOENIX_STATE_TABLE_PREFIX).ports.changes,
      };
    },
  ],
];

describe.each(journals)("ChangeJournal contract: %s", (_name, make) => {
  it("lets one request claim a key; the others get the first change's record", async () => {
    const { journal, other } = make();
    const second = other();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? journal : second).claim(record(`CHG-${i}`, "alert-1|high-cpu-usage")),
      ),
    );
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    for (const r of results) expect(r.record.id).toBe(created[0]!.record.id);
    expect(
      (await journal.list({ resourceId: plan })).filter((r) => r.key === "alert-1|high-cpu-usage"),
    ).toHaveLength(1);
  });

  it("updates a record whole, from two instances at once without losing either update", async () => {
    const { journal, other } = make();
    await journal.claim(record("CHG-u", "k-update"));
    await Promise.all([
      journal.update("CHG-u", (c) => ({ ...c, observed: { ...(c.observed as object), a: 1 } })),
      other().update("CHG-u", (c) => ({ ...c, observed: { ...(c.observed as object), b: 2 } })),
    ]);
    expect((await journal.get("CHG-u"))?.observed).toEqual({ a: 1, b: 2 });
    expect(await journal.get("CHG-none")).toBeUndefined();
  });

  it("lists newest first, filtered by environment, resource, status and time", async () => {
    const { journal } = make();
    await journal.claim(
      record("CHG-l1", "k-l1", {
        environment: "qa",
        createdAt: "2026-11-26T07:00:00.000Z",
        status: "succeeded",
      }),
    );
    await journal.claim(
      record("CHG-l2", "k-l2", {
        environment: "qa",
        createdAt: "2026-11-26T08:00:00.000Z",
        status: "blocked",
      }),
    );
    await journal.claim(
      record("CHG-l3", "k-l3", {
        environment: "qa",
        createdAt: "2026-11-26T09:00:00.000Z",
        status: "succeeded",
      }),
    );
    expect((await journal.list({ environment: "qa" })).map((r) => r.id)).toEqual([
      "CHG-l3",
      "CHG-l2",
      "CHG-l1",
    ]);
    expect((await journal.list({ environment: "qa", status: "succeeded" })).map((r) => r.id)).toEqual([
      "CHG-l3",
      "CHG-l1",
    ]);
    expect(
      (await journal.list({ environment: "qa", since: "2026-11-26T08:00:00.000Z" })).map((r) => r.id),
    ).toEqual(["CHG-l3", "CHG-l2"]);
    expect((await journal.list({ environment: "qa", limit: 1 })).map((r) => r.id)).toEqual(["CHG-l3"]);
    expect(await journal.list({ environment: "constructor" })).toEqual([]);
  });

  it("keeps the steps in order and each step once", async () => {
    const { journal } = make();
    const step = { at: "2026-11-26T06:00:01.000Z", step: "started", detail: "P1V2 → P2V2" };
    await journal.appendEvent("CHG-e", {
      at: "2026-11-26T06:00:00.000Z",
      step: "requested",
      detail: "by ops",
    });
    await journal.appendEvent("CHG-e", step);
    await journal.appendEvent("CHG-e", step);
    await journal.appendEvent("CHG-e", { at: "2026-11-26T06:00:09.000Z", step: "succeeded", detail: "done" });
    expect((await journal.listEvents("CHG-e")).map((e) => e.step)).toEqual([
      "requested",
      "started",
      "succeeded",
    ]);
  });
});

const leaseStores: [string, (now: () => Date) => { leases: ResourceLeases; other: () => ResourceLeases }][] =
  [
    [
      "in-memory fake",
      (now) => {
        const leases = new MemoryLeases(now);
        return { leases, other: () => leases };
      },
    ],
    [
      "Table adapter on Azurite",
      () => {
        const first = runtime();
        return {
          leases: first.ports.leases,
          other: () => runtime(first.settings.PHOENIX_STATE_TABLE_PREFIX).ports.leases,
        };
      },
    ],
  ];

describe.each(leaseStores)("ResourceLeases contract: %s", (_name, make) => {
  it("gives a resource to one holder at a time, again to the same holder, and frees it on release", async () => {
    const { leases, other } = make(() => new Date());
    const second = other();
    const won = (
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? leases : second).acquire(plan, `CHG-${i}`, 60_000)),
      )
    ).filter(Boolean);
    expect(won).toHaveLength(1);
    const [holder] = (
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          leases.acquire(plan, `CHG-${i}`, 60_000).then((ok) => (ok ? `CHG-${i}` : null)),
        ),
      )
    ).filter(Boolean);
    expect(holder).toBeTruthy();
    await leases.release(plan, "CHG-intruder");
    expect(await second.acquire(plan, "CHG-late", 60_000)).toBe(false);
    await leases.release(plan, holder!);
    expect(await second.acquire(plan, "CHG-late", 60_000)).toBe(true);
    await second.release(plan, "CHG-late");
  });

  it("lets another holder take a lease that has expired", async () => {
    const { leases, other } = make(() => new Date());
    const resource = `${plan}-expiring`;
    expect(await leases.acquire(resource, "CHG-crashed", 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(await other().acquire(resource, "CHG-next", 60_000)).toBe(true);
  });
});
