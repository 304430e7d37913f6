import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { Settings } from "../config/settings.ts";
import { type AnyProcedure, BinaryFile, RawJson } from "../procedures/declaration.ts";
import { fromText } from "../procedures/input-fields.ts";
import { inputSchemaOf, splitInput } from "../procedures/input-schema.ts";
import type { ProcedureRuntime } from "../procedures/runtime.ts";
import { fieldIssues, issuesLine } from "../validation.ts";
import { authorize, callerName } from "./authorize.ts";
import { invocationLogger } from "./invocation.ts";
import { badRequest, errorResponse, json, problem } from "./problem.ts";
import { runContextFor } from "./run-context.ts";
import { checkWebhookCaller } from "./webhook-auth.ts";

/** `application/json` or any `application/*+json`, with parameters; nothing that merely contains "json". */
const jsonMediaType = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

/** The function key travels in the query; it is the host's business, not an input. */
const hostQueryParameters = new Set(["code"]);

/**
 * The HTTP edge of a procedure: auth, the input from route, query and body parsed with the
 * procedure's one schema, the run, and every failure as problem+json. Logged once, here.
 */
export function httpHandler(
  procedure: AnyProcedure,
  runtime: () => ProcedureRuntime,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  const binding = procedure.http;
  if (!binding) throw new Error(`${procedure.name} has no HTTP binding`);
  return async (request, context) => {
    const logger = invocationLogger(context);
    try {
      const services = runtime();
      let actor: string;
      if (binding.auth === "webhook") {
        actor = await checkWebhookCaller(request.headers.get("authorization"), services);
      } else {
        const caller = await authorize(
          request.headers.get("authorization"),
          services.tokenValidator,
          binding.auth,
        );
        actor = callerName(caller);
      }
      const { input: fields, raw } = await readInput(procedure, request, services.settings);
      const { input, change } = splitInput(procedure, fields);
      const result: unknown = await procedure.run(
        services.portsFor(procedure.ports),
        input,
        runContextFor(
          procedure,
          services,
          { logger, trigger: "http", actor, invocationId: context.invocationId },
          change,
        ),
        raw,
      );
      if (result instanceof RawJson) {
        return {
          status: binding.status ?? 200,
          headers: { "content-type": "application/json", "cache-control": "no-store" },
          body: result.body,
        };
      }
      if (result instanceof BinaryFile) {
        const file: HttpResponseInit = {
          status: binding.status ?? 200,
          headers: {
            "content-type": result.contentType,
            "content-disposition": attachment(result.fileName),
            "cache-control": "no-store",
          },
          body: result.bytes,
        };
        return file;
      }
      return json(binding.status ?? 200, result);
    } catch (error) {
      return errorResponse(error, logger);
    }
  };
}

/** The file name quoted for Content-Disposition, with an RFC 6266 `filename*` for names beyond ASCII. */
function attachment(fileName: string): string {
  const plain = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return plain === fileName
    ? `attachment; filename="${fileName}"`
    : `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

async function readInput(
  procedure: AnyProcedure,
  request: HttpRequest,
  settings: Settings,
): Promise<{ input: Record<string, unknown>; raw?: string }> {
  const binding = procedure.http;
  const schema = inputSchemaOf(procedure);
  const fromRoute = fromText(schema, { ...request.params });
  let fields: Record<string, unknown>;
  let raw: string | undefined;
  if (binding?.method === "GET") {
    const query: Record<string, string> = {};
    for (const [name, value] of request.query) {
      if (!hostQueryParameters.has(name) && !Object.hasOwn(query, name)) query[name] = value;
    }
    fields = { ...fromText(schema, query), ...fromRoute };
  } else {
    const limit = settings[binding?.maxBodySetting ?? "PHOENIX_HTTP_MAX_BODY_BYTES"];
    const type = request.headers.get("content-type") ?? "";
    if (type && !jsonMediaType.test(type)) {
      throw problem(415, "Unsupported Media Type", "the body must be application/json");
    }
    raw = await readText(request, limit);
    let body: unknown = {};
    if (raw.trim().length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw badRequest("the body is not valid JSON", [{ field: "(body)", message: "not valid JSON" }]);
      }
    } else if (binding?.rawBody) {
      throw badRequest("the body is empty", [{ field: "(body)", message: "a JSON document is required" }]);
    }
    if (binding?.rawBody) {
      fields = { payload: body, ...fromRoute };
    } else {
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw badRequest("the body must be a JSON object", [
          { field: "(body)", message: "must be an object" },
        ]);
      }
      fields = { ...(body as Record<string, unknown>), ...fromRoute };
    }
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    throw badRequest(issuesLine(parsed.error.issues), fieldIssues(parsed.error.issues));
  }
  return { input: parsed.data, raw };
}

/** The body as text, refusing more than `maxBytes` with a 413 (checked while reading, not after). */
export async function readText(request: HttpRequest, maxBytes: number): Promise<string> {
  const tooLarge = () => problem(413, "Payload Too Large", `the body is larger than ${maxBytes} bytes`);
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge();
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  // The SDK types the body as ReadableStream<any>; on Node it yields Uint8Array chunks.
  for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
