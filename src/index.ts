/**
 * The Functions app: importing each trigger module registers it with the host (v4 programming model).
 */
import "./functions/health-checks-http.ts";
import "./functions/health-check-timer.ts";
import "./functions/alerts-webhook.ts";
import "./functions/incident-queues.ts";
import "./functions/incidents-http.ts";
