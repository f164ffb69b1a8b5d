import { useState } from "preact/hooks";
import { type Action, actionStates, needsConfirmation, openGate, pausedService } from "./actions";
import { ApiError, apiRequest } from "./api";
import type { Release, Whoami } from "./types";
import { ErrorBox } from "./ui";

const LABEL: Record<Action, string> = {
  approve: "Approve",
  reject: "Reject",
  resume: "Resume",
  abort: "Abort…",
  rollback: "Roll back…",
};

/** The request each action sends (the existing API routes). */
function request(release: Release, action: Action, input: { reason: string; service: string }) {
  const path = `/releases/${encodeURIComponent(release.id)}/${action}`;
  const reason = input.reason.trim() || undefined;
  switch (action) {
    case "approve":
    case "reject": {
      const service = openGate(release)?.service;
      return { path, body: service ? { service } : {} };
    }
    case "resume": {
      const service = pausedService(release);
      return { path, body: service ? { service } : {} };
    }
    case "abort":
      return { path, body: reason ? { reason } : {} };
    case "rollback":
      return {
        path: "/rollback",
        body: { service: input.service, environment: release.environment, ...(reason ? { reason } : {}) },
      };
  }
}

/**
 * The buttons the signed-in role may press in the release's state (disabled, with the reason, when
 * not). Abort and rollback ask first, with a reason. A refusal shows the server's own message.
 */
export function ReleaseActions({
  token,
  who,
  release,
  onDone,
}: {
  token: string;
  who: Whoami;
  release: Release;
  onDone(): void;
}) {
  const states = actionStates(who, release);
  const [confirming, setConfirming] = useState<Action | undefined>(undefined);
  const [reason, setReason] = useState("");
  const [service, setService] = useState(release.rollouts[0]?.service ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const run = async (action: Action) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const { path, body } = request(release, action, { reason, service });
      await apiRequest(token, "POST", path, body);
      setDone(`${LABEL[action].replace("…", "")}: accepted by the server`);
      setConfirming(undefined);
      setReason("");
      onDone();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, "CLIENT", String(failure)));
      setConfirming(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset class="actions">
      <legend class="visually-hidden">Release actions</legend>
      {(Object.keys(LABEL) as Action[]).map((action) => (
        <button
          key={action}
          type="button"
          class={`action action-${action}`}
          data-action={action}
          disabled={busy || !states[action].enabled}
          title={states[action].why}
          onClick={() => (needsConfirmation(action) ? setConfirming(action) : void run(action))}
        >
          {LABEL[action]}
        </button>
      ))}
      {done ? (
        <span class="done" role="status">
          {done}
        </span>
      ) : null}
      <ErrorBox error={error} title="Refused" />
      {confirming ? (
        <div class="dialog-backdrop">
          <dialog open class="dialog card" aria-modal="true" aria-labelledby="confirm-title">
            <form
              onSubmit={(event) => {
                event.preventDefault();
                void run(confirming);
              }}
            >
              <h2 id="confirm-title">
                {confirming === "abort"
                  ? `Abort release ${release.id}?`
                  : `Roll back a service in ${release.environment}?`}
              </h2>
              <p>
                {confirming === "abort"
                  ? "Every rollout that has not finished rolls back to its stable version."
                  : "The service goes back to its previous version."}
              </p>
              {confirming === "rollback" ? (
                <>
                  <label for="rollback-service">Service</label>
                  <select
                    id="rollback-service"
                    value={service}
                    onChange={(event) => setService((event.target as HTMLSelectElement).value)}
                  >
                    {release.rollouts.map((r) => (
                      <option key={r.service} value={r.service}>
                        {r.service}
                      </option>
                    ))}
                  </select>
                </>
              ) : null}
              <label for="confirm-reason">Reason</label>
              <input
                id="confirm-reason"
                value={reason}
                maxLength={500}
                placeholder="why (kept in the audit trail)"
                onInput={(event) => setReason((event.target as HTMLInputElement).value)}
              />
              <div class="dialog-buttons">
                <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                  Cancel
                </button>
                <button type="submit" class="danger" disabled={busy}>
                  {confirming === "abort" ? "Abort the release" : "Roll back"}
                </button>
              </div>
            </form>
          </dialog>
        </div>
      ) : null}
    </fieldset>
  );
}
