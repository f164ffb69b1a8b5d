import { useEffect, useState } from "preact/hooks";
import { ApiError, apiRequest } from "./api";
import { DeliveryPage } from "./DeliveryPage";
import { RegistryPage } from "./RegistryPage";
import { ReleasePage } from "./ReleasePage";
import { ReleasesPage } from "./ReleasesPage";
import { parseRoute, type Route, routeHref } from "./routes";
import { SignIn } from "./SignIn";
import { clearToken, loadToken, saveToken } from "./session";
import type { Whoami } from "./types";
import { Loading } from "./ui";

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

const NAV: { route: Route; label: string }[] = [
  { route: { page: "releases" }, label: "Releases" },
  { route: { page: "registry" }, label: "What runs where" },
  { route: { page: "delivery" }, label: "Delivery" },
];

export function App() {
  const route = useRoute();
  const [token, setToken] = useState<string | null>(() => loadToken());
  const [who, setWho] = useState<Whoami | undefined>(undefined);
  const [signInError, setSignInError] = useState<ApiError | undefined>(undefined);

  useEffect(() => {
    if (!token) return;
    let current = true;
    apiRequest<Whoami>(token, "GET", "/whoami").then(
      (me) => current && setWho(me),
      (error: unknown) => {
        if (!current) return;
        clearToken();
        setToken(null);
        setSignInError(error instanceof ApiError ? error : new ApiError(0, "CLIENT", String(error)));
      },
    );
    return () => {
      current = false;
    };
  }, [token]);

  const signIn = (pasted: string) => {
    setSignInError(undefined);
    setWho(undefined);
    saveToken(pasted);
    setToken(pasted);
  };
  const signOut = () => {
    clearToken();
    setToken(null);
    setWho(undefined);
  };

  if (!token) return <SignIn onSignIn={signIn} error={signInError} />;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/releases">
          Tandem
        </a>
        <nav aria-label="Pages">
          {NAV.map((item) => (
            <a
              key={item.label}
              href={routeHref(item.route)}
              aria-current={
                item.route.page === route.page || (route.page === "release" && item.route.page === "releases")
                  ? "page"
                  : undefined
              }
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div class="identity" aria-live="polite">
          {who ? (
            <>
              <span data-testid="who-name">{who.name}</span>{" "}
              <span class="role" data-testid="who-role">
                {who.role}
              </span>
              {who.environments.length > 0 ? (
                <span class="muted"> ({who.environments.join(", ")})</span>
              ) : null}
            </>
          ) : (
            <span class="muted">signing in…</span>
          )}
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        {!who ? (
          <Loading what="your identity" />
        ) : route.page === "release" ? (
          <ReleasePage key={route.id} token={token} who={who} id={route.id} />
        ) : route.page === "registry" ? (
          <RegistryPage token={token} />
        ) : route.page === "delivery" ? (
          <DeliveryPage token={token} />
        ) : (
          <ReleasesPage token={token} />
        )}
      </main>
    </>
  );
}
