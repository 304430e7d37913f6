import type { z } from "zod";

/** One wrong field and why: what a 400 names, what a usage error prints. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** The one way a zod issue list becomes words: each issue's path (or `root` for the whole) and message. */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], root = "(body)"): FieldIssue[] {
  return issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : root,
    message: issue.message,
  }));
}

/** On one line, for a log entry, an error message or a problem's detail. */
export function issuesLine(issues: readonly z.core.$ZodIssue[], root?: string): string {
  return fieldIssues(issues, root)
    .map((i) => `${i.field}: ${i.message}`)
    .join("; ");
}

/** As a list, one issue a line: a user fixes every bad key of a file in one go. */
export function issuesList(issues: readonly z.core.$ZodIssue[], root = "(root)"): string {
  return fieldIssues(issues, root)
    .map((i) => `  - ${i.field}: ${i.message}`)
    .join("\n");
}
