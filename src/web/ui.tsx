import type { ComponentChildren } from "preact";
import type { ApiError } from "./api";
import { statusLabel, statusTone } from "./format";
import type { Status } from "./types";

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span class={`badge tone-${statusTone(status)}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

export function ErrorBox({ error, title }: { error: ApiError | undefined; title?: string }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      <span class="error-message">{error.message}</span>
      {error.code.startsWith("TANDEM_ERR_") ? <code class="error-code"> {error.code}</code> : null}
      {error.hint ? <div class="hint">{error.hint}</div> : null}
    </div>
  );
}

export function Section({
  title,
  children,
  id,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}
