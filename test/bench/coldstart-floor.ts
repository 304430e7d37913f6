/**
 * The cold-start benchmark's floor: a minimal v4 app with one HTTP function, bundled the same way as
 * the deployable app (scripts/build.ts's options). Never part of the deployable app.
 */
import { app } from "@azure/functions";

app.http("hello", {
  methods: ["GET"],
  authLevel: "anonymous",
  handler: () => ({ status: 200, body: "hello" }),
});
