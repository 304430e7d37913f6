/**
 * The only way to call a write method of a port. A token is made by change control alone (the
 * constructor takes a module-private key), after the plan, the guardrails and the "started" audit
 * record: a change that skips them does not compile, and cannot be forged at run time either.
 */
const issuer = Symbol("change-control");

export class ChangeToken {
  readonly changeId: string;
  readonly resourceId: string;

  private constructor(key: symbol, changeId: string, resourceId: string) {
    if (key !== issuer) throw new Error("change tokens are issued by change control only");
    this.changeId = changeId;
    this.resourceId = resourceId;
  }

  /** @internal change control's own door; nothing else imports `issuer`. */
  static issue(changeId: string, resourceId: string): ChangeToken {
    return new ChangeToken(issuer, changeId, resourceId);
  }

  /** A port's write method checks that the token is for the resource it is asked to change. */
  assertFor(resourceId: string): void {
    if (resourceId.toLowerCase() !== this.resourceId.toLowerCase()) {
      throw new Error(`change ${this.changeId} may change ${this.resourceId}, not ${resourceId}`);
    }
  }
}
