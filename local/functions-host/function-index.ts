/**
 * What the host learns from the worker's function list: each function's trigger and its options,
 * with `%Setting%` expressions resolved, as the host does when it indexes functions.
 */
import type { RegisteredFunction } from "./core-module.ts";
import type { RpcBindingInfo } from "./core-types.ts";
import { NCrontabSchedule } from "./ncrontab.ts";
import { parseRouteTemplate, type RouteTemplate } from "./routes.ts";
import { resolveSettingExpressions } from "./settings.ts";
import { optionalString } from "./storage-queues.ts";

export type TriggerKind = "http" | "timer" | "queue" | "eventGrid" | "unsupported";
export type AuthLevel = "anonymous" | "function" | "admin";

/** A registered function as the host sees it (FunctionsHost.functions). */
export interface RegisteredFunctionInfo {
  name: string;
  /** The trigger binding's type, e.g. "httpTrigger", "timerTrigger", "queueTrigger", "eventGridTrigger". */
  triggerType: string;
  /** `AzureWebJobs.<name>.Disabled` is set: the trigger does not run (manual runs still work). */
  disabled: boolean;
  /** Why the host could not index the function (bad schedule, missing setting); it does not run. */
  error?: string;
  /** HTTP: the route template, without the route prefix. */
  route?: string;
  /** HTTP: the URL template, e.g. http://127.0.0.1:7071/api/incidents/{id}. */
  url?: string;
  /** HTTP: allowed methods (upper case); absent when every method is allowed. */
  methods?: string[];
  authLevel?: AuthLevel;
  /** Timer: the schedule with `%Setting%` resolved. */
  schedule?: string;
  runOnStartup?: boolean;
  /** Queue: the queue name with `%Setting%` resolved, lower-cased as the host does. */
  queueName?: string;
  connection?: string;
}

export interface IndexedFunction {
  fn: RegisteredFunction;
  info: RegisteredFunctionInfo;
  kind: TriggerKind;
  triggerBindingName: string;
  trigger: RpcBindingInfo;
  route?: RouteTemplate;
  methods?: ReadonlySet<string>;
  schedule?: NCrontabSchedule;
}

export function indexFunction(
  fn: RegisteredFunction,
  settings: Record<string, string>,
  baseUrl: string,
  routePrefix: string,
): IndexedFunction {
  const name = fn.metadata.name;
  const triggerEntry = Object.entries(fn.metadata.bindings).find(
    ([, b]) => /trigger$/i.test(b.type ?? "") && b.direction !== "out",
  );
  const [triggerBindingName, trigger] = triggerEntry ?? ["", { type: "unknown" }];
  const triggerType = trigger.type ?? "unknown";
  const disabled = /^(true|1)$/i.test(settings[`AzureWebJobs.${name}.Disabled`] ?? "");
  const info: RegisteredFunctionInfo = { name, triggerType, disabled };
  const indexed: IndexedFunction = { fn, info, kind: "unsupported", triggerBindingName, trigger };

  try {
    switch (triggerType.toLowerCase()) {
      case "httptrigger": {
        const route = optionalString(trigger["route"]) ?? name;
        const methods = Array.isArray(trigger["methods"])
          ? (trigger["methods"] as unknown[]).map((m) => String(m).toUpperCase())
          : [];
        indexed.kind = "http";
        indexed.route = parseRouteTemplate(route);
        if (methods.length > 0) indexed.methods = new Set(methods);
        info.route = route;
        info.url = `${baseUrl}/${[routePrefix, route.replace(/^\/+/, "")].filter(Boolean).join("/")}`;
        if (methods.length > 0) info.methods = methods;
        info.authLevel = toAuthLevel(trigger["authLevel"]);
        break;
      }
      case "timertrigger": {
        const schedule = resolveSettingExpressions(optionalString(trigger["schedule"]) ?? "", settings);
        indexed.kind = "timer";
        info.schedule = schedule;
        info.runOnStartup = trigger["runOnStartup"] === true;
        indexed.schedule = NCrontabSchedule.parse(schedule);
        break;
      }
      case "queuetrigger": {
        const queueName = resolveSettingExpressions(
          optionalString(trigger["queueName"]) ?? "",
          settings,
        ).toLowerCase();
        if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(queueName)) {
          throw new Error(`"${queueName}" is not a valid queue name`);
        }
        indexed.kind = "queue";
        info.queueName = queueName;
        const connection = optionalString(trigger["connection"]);
        if (connection) info.connection = connection;
        break;
      }
      case "eventgridtrigger":
        indexed.kind = "eventGrid";
        break;
      default:
        indexed.kind = "unsupported";
    }
  } catch (error) {
    info.error = error instanceof Error ? error.message : String(error);
  }
  return indexed;
}

function toAuthLevel(value: unknown): AuthLevel {
  const level = typeof value === "string" ? value.toLowerCase() : "";
  return level === "function" || level === "admin" ? level : "anonymous";
}
