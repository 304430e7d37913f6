import { DefaultAzureCredential } from "@azure/identity";
import { OpsError } from "../shared/errors.ts";
import { type AnyProcedure, BinaryFile } from "../shared/procedures/declaration.ts";

/** A mistake on the command line, or one the app found in what it was sent: the usage exit code. */
export class UsageError extends Error {
  override name = "UsageError";
}

interface ApiBackend {
  url: string;
  audience: string;
  clientId?: string;
}

/**
 * Calls a procedure's route on the app's HTTP API with an Entra ID token for the API, obtained the way
 * any client gets one (DefaultAzureCredential: az login, managed identity, ...). Route parameters are
 * filled from the input; the rest goes in the query (GET) or the JSON body (POST).
 */
export async function callApi(
  backend: ApiBackend,
  procedure: AnyProcedure,
  input: Record<string, unknown>,
): Promise<unknown> {
  const binding = procedure.http;
  if (!binding) throw new OpsError("Internal", `${procedure.name} has no HTTP route`);
  const rest: Record<string, unknown> = { ...input };
  const path = binding.route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(queryText(value));
  });
  const url = new URL(`${backend.url.replace(/\/$/, "")}/api/${path}`);
  if (binding.method === "GET") {
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue;
      url.searchParams.set(key, queryText(value));
    }
  }
  const scope = `${backend.audience.replace(/\/$/, "")}/.default`;
  const credential = new DefaultAzureCredential(
    backend.clientId ? { managedIdentityClientId: backend.clientId } : {},
  );
  const token = await credential.getToken(scope).catch((error: unknown) => {
    throw new OpsError("Unauthorized", `could not get a token for ${scope}: ${firstLine(error)}`, {
      cause: error,
    });
  });
  let response: Response;
  try {
    response = await fetch(url, {
      method: binding.method,
      headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
      ...(binding.method === "POST" ? { body: JSON.stringify(rest) } : {}),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new OpsError("AzureUnavailable", `could not reach ${backend.url}: ${firstLine(error)}`, {
      cause: error,
      retryable: true,
    });
  }
  const type = response.headers.get("content-type") ?? "";
  const disposition = response.headers.get("content-disposition");
  if (response.ok && disposition?.toLowerCase().startsWith("attachment")) {
    return new BinaryFile(type, attachmentName(disposition), new Uint8Array(await response.arrayBuffer()));
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try {
      const problem = JSON.parse(text) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? text;
    } catch {
      // not problem+json: keep the text
    }
    const message = `${binding.method} /api/${path} answered ${response.status}: ${detail}`;
    // What the app refuses as bad input (or as naming nothing it knows) is the caller's mistake.
    if (response.status === 400 || response.status === 404 || response.status === 413)
      throw new UsageError(detail);
    throw new OpsError(
      response.status === 401 ? "Unauthorized" : response.status === 403 ? "Forbidden" : "AzureRequestFailed",
      message,
    );
  }
  return JSON.parse(text) as unknown;
}

/**
 * The file name of a Content-Disposition attachment (RFC 6266 `filename*` first), reduced to a bare
 * name: a server must not be able to make the CLI write outside the folder it was pointed at.
 */
export function attachmentName(disposition: string): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  const plain = /filename="([^"]*)"/i.exec(disposition)?.[1] ?? /filename=([^;]+)/i.exec(disposition)?.[1];
  let name = plain ?? "download";
  if (extended) {
    try {
      name = decodeURIComponent(extended);
    } catch {
      // a malformed extended name: keep the plain one
    }
  }
  const bare = name.split(/[\\/]/).pop()?.trim() ?? "";
  return bare === "" || bare === "." || bare === ".." ? "download" : bare;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/** A query or route value as text: lists comma-separated, as the guide writes them. */
function queryText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(queryText).join(",");
  return JSON.stringify(value);
}
