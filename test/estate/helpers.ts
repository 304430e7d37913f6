import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManagedIdentityCredential } from "@azure/identity";
import type { Estate, EstateOptions } from "../../local/estate/index.ts";
import { startEstate } from "../../local/estate/index.ts";

/**
 * Starts an estate on a free loopback port with a temporary outbox, and points the App Service
 * managed-identity variables at it, as the local Functions host does for the app.
 */
export async function startTestEstate(options: Partial<EstateOptions> = {}): Promise<{
  estate: Estate;
  outboxDir: string;
  credential: ManagedIdentityCredential;
  close: () => Promise<void>;
}> {
  const outboxDir = await mkdtemp(join(tmpdir(), "phoenix-estate-outbox-"));
  const estate = await startEstate({ outboxDir, ...options });
  process.env["IDENTITY_ENDPOINT"] = estate.identityEndpoint;
  process.env["IDENTITY_HEADER"] = estate.identityHeader;
  const credential = new ManagedIdentityCredential();
  return {
    estate,
    outboxDir,
    credential,
    close: async () => {
      await estate.close();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
}

/** A token straight from the managed-identity endpoint, for raw REST calls. */
export async function rawToken(estate: Estate, resource = "https://management.azure.com/"): Promise<string> {
  const response = await fetch(
    `${estate.identityEndpoint}?resource=${encodeURIComponent(resource)}&api-version=2019-08-01`,
    { headers: { "X-IDENTITY-HEADER": estate.identityHeader } },
  );
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A JSON call to the estate; the body is parsed when it is JSON. */
export async function call(
  estate: Estate,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${estate.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // Not JSON (health pages): keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}

/** Reads a nested property of an untyped JSON body, for assertions. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
