import { useState } from "preact/hooks";
import type { ApiError } from "./api";
import { ErrorBox } from "./ui";

/** Paste a token from `tandem token create`; it is kept in this tab's sessionStorage only. */
export function SignIn({ onSignIn, error }: { onSignIn(token: string): void; error?: ApiError }) {
  const [token, setToken] = useState("");
  return (
    <main class="signin">
      <h1>Tandem</h1>
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          const trimmed = token.trim();
          if (trimmed) onSignIn(trimmed);
        }}
      >
        <h2>Sign in</h2>
        <p>
          Paste an API token. Create one with <code>tandem token create --name NAME --role ROLE</code>. It
          stays in this browser tab only and is gone when you close it.
        </p>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="tdm_…"
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={token.trim() === ""}>
          Sign in
        </button>
        <ErrorBox error={error} title="Sign-in refused" />
      </form>
    </main>
  );
}
