/**
 * Names from outside (a request, a flag, an alert) looked up in the policy's records. A plain-object
 * lookup would find `constructor`, `__proto__` or `toString` on every record; these find only what
 * the record itself holds, so such a name is as unknown as any other.
 */
export function knownName<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** The record's names, for an "unknown …; known: …" answer. */
export function knownNames(record: Readonly<Record<string, unknown>>): string {
  return Object.keys(record).join(", ");
}
