import { type HttpRequest, type HttpResponseInit, app } from "@azure/functions";
import { validateActionGroupCaller } from "../shared/auth/action-groups.ts";
import { AuthError } from "../shared/auth/auth-error.ts";
import { getServices } from "../shared/composition-root.ts";
import { badRequest, HttpProblem, httpHandler, json, readText } from "../shared/http/problem.ts";
import { receiveAlert } from "../shared/operations/incidents.ts";

/**
 * The action group's webhook. It answers 202 as soon as the alert is durably recorded and queued;
 * turning it into an incident happens from the queue. Any valid JSON is kept, recognised or not.
 */
export async function receiveAlertWebhook(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const { settings } = services;
  if (settings.PHOENIX_ALERTS_REQUIRE_TOKEN) {
    if (!services.tokenValidator) throw new AuthError("missing_token");
    const caller = await services.tokenValidator.validate(request.headers.get("authorization"));
    validateActionGroupCaller(
      caller,
      settings.PHOENIX_ALERTS_TOKEN_ROLE ? { requiredRole: settings.PHOENIX_ALERTS_TOKEN_ROLE } : {},
    );
  }
  const type = request.headers.get("content-type") ?? "";
  if (type && !/json/i.test(type)) {
    throw new HttpProblem({
      type: "about:blank",
      title: "Unsupported Media Type",
      status: 415,
      detail: "the alert must be JSON",
    });
  }
  const raw = await readText(request, settings.PHOENIX_ALERTS_MAX_BODY_BYTES);
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    throw badRequest("the body is not valid JSON", [{ field: "(body)", message: "not valid JSON" }]);
  }
  const result = await receiveAlert(services.incidents, payload, raw);
  return json(202, {
    status: "accepted",
    recognized: result.recognized,
    key: result.key,
  });
}

app.http("alerts-webhook", {
  methods: ["POST"],
  route: "alerts",
  authLevel: "function",
  handler: httpHandler(receiveAlertWebhook),
});
