/** Conversions between RPC TypedData and what the host writes to HTTP responses and queues. */
import { randomUUID } from "node:crypto";
import type { RpcTypedData } from "./core-types.ts";

/** The bytes of a TypedData value, as the host would write them to an HTTP body. */
export function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === "string") return Buffer.from(data.string, "utf8");
  if (typeof data.json === "string") return Buffer.from(data.json, "utf8");
  if (typeof data.int === "number") return Buffer.from(String(data.int), "utf8");
  if (typeof data.double === "number") return Buffer.from(String(data.double), "utf8");
  return Buffer.alloc(0);
}

/**
 * The messages a queue output binding receives: a JSON array is one message per element (how a
 * Node.js function writes several messages), anything else is one message.
 */
export function typedDataToQueueMessages(data: RpcTypedData | null | undefined): Buffer[] {
  if (!data) return [];
  if (typeof data.json === "string") {
    const parsed: unknown = JSON.parse(data.json);
    const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
    return items.map((item) => Buffer.from(typeof item === "string" ? item : JSON.stringify(item), "utf8"));
  }
  if (data.collectionString?.string) return data.collectionString.string.map((s) => Buffer.from(s, "utf8"));
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  return [typedDataToBuffer(data)];
}

/** A JSON TypedData value. */
export function jsonData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

/** The `sys` entry the host adds to every trigger's metadata. */
export function sysMetadata(functionName: string): RpcTypedData {
  return jsonData({ MethodName: functionName, UtcNow: new Date().toISOString(), RandGuid: randomUUID() });
}
