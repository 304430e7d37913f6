import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import type { EmailSender } from "../../src/shared/ports/email-sender.ts";
import type { ResourceInventory } from "../../src/shared/ports/resource-inventory.ts";
import { FakeEmail, FakeInventory } from "../fakes/index.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The ports over Azure services, each run against its in-memory fake and its real adapter on the
 * local estate: the fakes the operation tests trust must answer as the adapters do.
 */
let stack: LocalStack;
let runtime: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers`;
const web = `${rg}/Microsoft.Web/sites/phoenix-web-prod`;
const db = `${rg}/Microsoft.Sql/servers/sql-phoenix-prod/databases/phoenixdb`;
const gone = `${rg}/Microsoft.Web/sites/phoenix-gone`;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
});
afterAll(async () => {
  await stack?.close();
});

const inventories: [string, () => ResourceInventory][] = [
  [
    "in-memory fake",
    () => {
      const fake = new FakeInventory();
      fake.missing.add(gone);
      return fake;
    },
  ],
  ["Resource Manager adapter on the local estate", () => runtime.ports.inventory],
];

describe.each(inventories)("ResourceInventory contract: %s", (_name, make) => {
  it("answers every id asked for: the state of what exists, exists: false for what does not", async () => {
    const states = await make().getStates([web, db, gone]);
    expect([...states.keys()].sort()).toEqual([web, db, gone].sort());
    expect(states.get(web)).toMatchObject({ resourceId: web, exists: true, state: "Running" });
    expect(states.get(db)).toMatchObject({ resourceId: db, exists: true, state: "Online" });
    expect(states.get(gone)).toMatchObject({ resourceId: gone, exists: false });
  });

  it("answers nothing for nothing asked", async () => {
    expect((await make().getStates([])).size).toBe(0);
  });
});

const senders: [string, () => { sender: EmailSender; delivered: () => Promise<number>; fail: () => void }][] =
  [
    [
      "in-memory fake",
      () => {
        const fake = new FakeEmail();
        return {
          sender: fake,
          delivered: async () => fake.sent.length,
          fail: () => {
            fake.failuresLeft = 100;
          },
        };
      },
    ],
    [
      "Communication Services adapter on the local estate",
      () => ({
        sender: runtime.ports.email,
        delivered: async () => (await readdir(stack.outboxDir)).filter((f) => f.endsWith(".eml")).length,
        fail: () => stack.estate.addFault({ pathPattern: "emails:send", status: 500 }),
      }),
    ],
  ];

describe.each(senders)("EmailSender contract: %s", (_name, make) => {
  const message = (key: string) => ({
    to: ["ops@phoenixvc.tech"],
    subject: `contract ${key}`,
    html: "<p>contract</p>",
    text: "contract",
    idempotencyKey: key,
  });

  it("delivers once per idempotency key, however often it is sent", async () => {
    const { sender, delivered } = make();
    const before = await delivered();
    const key = `contract-${Math.random().toString(36).slice(2)}`;
    const first = await sender.send(message(key));
    const again = await sender.send(message(key));
    expect(again.messageId).toBe(first.messageId);
    expect((await delivered()) - before).toBe(1);
  });

  it("reports a service that keeps failing as EmailFailed", async () => {
    const { sender, fail } = make();
    fail();
    const error: unknown = await sender.send(message(`never-${Math.random()}`)).catch((e: unknown) => e);
    stack.estate.clearFaults();
    expect(isOpsError(error) && error.code).toBe("EmailFailed");
  });
});
