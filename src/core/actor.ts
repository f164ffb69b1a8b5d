/**
 * One identity per person: the form in which actor names are recorded and compared everywhere
 * (approvals, self-approval, `approvers` lists, the audit trail, tokens, TANDEM_USER). Unicode NFKC
 * first (so a full-width `Ａｌｉｃｅ` or an ideographic space is folded too), then trimmed and lowercased:
 * `Alice`, `alice` and ` alice ` are one person.
 */
export function normalizeActor(actor: string): string {
  return actor.normalize("NFKC").trim().toLowerCase();
}

/** Whether two actor names are the same person. */
export function sameActor(a: string, b: string): boolean {
  return normalizeActor(a) === normalizeActor(b);
}
