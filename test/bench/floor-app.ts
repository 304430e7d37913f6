/**
 * The app plus one empty HTTP function, `bench-floor`, for the alert benchmark's floor: what the same
 * host answers for a POST that does nothing but read its body. Built into a bundle of its own by the
 * benchmark; never part of the deployable app.
 */
import "../../src/index.ts";
import { app } from "@azure/functions";

app.http("bench-floor", {
  methods: ["POST"],
  route: "bench-floor",
  authLevel: "function",
  handler: async (request) => {
    await request.text();
    return { status: 202, jsonBody: { status: "accepted" } };
  },
});
