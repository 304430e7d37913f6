import { createHash } from "node:crypto";

/** SHA-256 (hex) of a text: the app's one hash, for idempotency keys, ids and fingerprints. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * SHA-256 (hex) of the canonical JSON of `value`: object keys sorted, no whitespace, JSON's own
 * number and string spelling. Equal JSON documents hash equally whatever their key order.
 *
 * Works with an explicit stack, so arbitrarily deep input cannot overflow the call stack, and streams
 * into the hash, so a large payload is not copied into one big string. Values JSON cannot hold
 * (undefined, functions, symbols) are treated as JSON.stringify treats them; bigints are written as
 * numbers; a cycle is written as the string "[circular]".
 */
export function canonicalSha256(value: unknown): string {
  const hash = createHash("sha256");
  type Frame = { text: string } | { value: unknown } | { leave: object };
  const stack: Frame[] = [{ value }];
  const open = new Set<object>();
  let buffer = "";
  const write = (text: string): void => {
    buffer += text;
    if (buffer.length > 65_536) {
      hash.update(buffer);
      buffer = "";
    }
  };

  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if ("text" in frame) {
      write(frame.text);
      continue;
    }
    if ("leave" in frame) {
      open.delete(frame.leave);
      continue;
    }
    const v = frame.value;
    if (v === null) write("null");
    else if (typeof v === "string") write(JSON.stringify(v));
    else if (typeof v === "number") write(Number.isFinite(v) ? JSON.stringify(v) : "null");
    else if (typeof v === "boolean") write(v ? "true" : "false");
    else if (typeof v === "bigint") write(v.toString());
    else if (typeof v !== "object")
      write("null"); // undefined, function, symbol: as JSON.stringify in arrays
    else if (open.has(v)) write('"[circular]"');
    else if (Array.isArray(v)) {
      open.add(v);
      stack.push({ leave: v }, { text: "]" });
      for (let i = v.length - 1; i >= 0; i -= 1) {
        stack.push({ value: v[i] as unknown });
        if (i > 0) stack.push({ text: "," });
      }
      stack.push({ text: "[" });
    } else {
      open.add(v);
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => {
          const t = typeof record[k];
          return t !== "undefined" && t !== "function" && t !== "symbol";
        })
        .sort();
      stack.push({ leave: v }, { text: "}" });
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i] as string;
        stack.push({ value: record[key] }, { text: `${JSON.stringify(key)}:` });
        if (i > 0) stack.push({ text: "," });
      }
      stack.push({ text: "{" });
    }
  }
  hash.update(buffer);
  return hash.digest("hex");
}
