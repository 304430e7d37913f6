import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";
import { SAMPLES_DIR, SHARED_ALERTS_DIR, expectInvariants, jsonFiles, readJson } from "./helpers.ts";

const fixtures: unknown[] = [
  ...jsonFiles(SHARED_ALERTS_DIR).map((f) => readJson(SHARED_ALERTS_DIR, f)),
  ...jsonFiles(SAMPLES_DIR).map((f) => readJson(SAMPLES_DIR, f)),
];

/** One edit of a parsed payload: follow `path` (indices into keys/items), then drop or replace what is there. */
interface Mutation {
  path: number[];
  replacement: { drop: true } | { value: unknown };
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
  replacement: fc.oneof(
    fc.constant({ drop: true as const }),
    fc.anything().map((value) => ({ value })),
    fc
      .constantFrom(
        null,
        "",
        "Fired",
        "Resolved",
        "Sev9",
        "javascript:alert(1)",
        "__proto__",
        1e308,
        -0,
        [],
        {},
      )
      .map((value) => ({ value })),
  ),
});

function mutate(payload: unknown, { path, replacement }: Mutation): unknown {
  const copy = structuredClone(payload);
  let node: unknown = copy;
  for (let depth = 0; depth < path.length; depth += 1) {
    if (typeof node !== "object" || node === null) return copy;
    const container = node as Record<string, unknown>;
    const keys = Object.keys(container);
    if (keys.length === 0) return copy;
    const key = keys[(path[depth] ?? 0) % keys.length] as string;
    const isLast = depth === path.length - 1 || typeof container[key] !== "object" || container[key] === null;
    if (isLast) {
      if ("drop" in replacement) {
        if (Array.isArray(container)) container.splice(Number(key), 1);
        else delete container[key];
      } else {
        container[key] = replacement.value;
      }
      return copy;
    }
    node = container[key];
  }
  return copy;
}

describe("normalizeAlert never throws and always honours its invariants", () => {
  it("for any JavaScript value (fc.anything)", () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true }),
        (input) => {
          expectInvariants(normalizeAlert(input));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("for any JSON document (fc.json)", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expectInvariants(normalizeAlert(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  it("for the sample payloads with random fields dropped or replaced", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (fixture, edits) => {
          const payload = edits.reduce<unknown>((p, edit) => mutate(p, edit), fixture);
          const result = normalizeAlert(payload);
          expectInvariants(result);
          expect(normalizeAlert(structuredClone(payload))).toEqual(result); // deterministic
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("for any payload, the input is left unchanged", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json().map((t) => JSON.parse(t) as unknown),
          fc.constantFrom(...fixtures),
        ),
        fc.array(mutation, { maxLength: 3 }),
        (base, edits) => {
          const payload = edits.reduce<unknown>((p, edit) => mutate(p, edit), base);
          const before = structuredClone(payload);
          normalizeAlert(payload);
          expect(payload).toEqual(before);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("every sample payload stays an alert when an unknown extra field is added anywhere", () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(fc.nat(), { maxLength: 6 }), (fixture, path) => {
        const payload = structuredClone(fixture) as Record<string, unknown>;
        let node: unknown = payload;
        for (const step of path) {
          if (typeof node !== "object" || node === null || Array.isArray(node)) break;
          const children = Object.values(node).filter(
            (v) => typeof v === "object" && v !== null && !Array.isArray(v),
          );
          if (children.length === 0) break;
          node = children[step % children.length];
        }
        if (typeof node === "object" && node !== null && !Array.isArray(node)) {
          (node as Record<string, unknown>).zzUnexpectedField = { nested: ["x", 1] };
        }
        expect(normalizeAlert(payload).kind).toBe("alert");
      }),
      { numRuns: 300 },
    );
  });
});
