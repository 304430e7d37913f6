/**
 * The incident pipeline: intake (the webhook's durable write), processing (alerts into incidents),
 * escalation, notifications (the email outbox) and operator actions, each in its own module.
 */
export { type Actor, type IncidentDeps, newIncidentId } from "./incidents/common.ts";
export * from "./incidents/intake.ts";
export * from "./incidents/processing.ts";
export * from "./incidents/escalation.ts";
export * from "./incidents/notifications.ts";
export * from "./incidents/operators.ts";
