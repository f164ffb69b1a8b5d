import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiRequest, streamUrl } from "./api";
import type { TandemEvent } from "./types";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs `path` with the token; `reload` fetches again (keeping the old data on screen meanwhile). */
export function useApi<T>(token: string, path: string): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const load = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    apiRequest<T>(token, "GET", path).then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== generation.current) return;
        setError(failure instanceof ApiError ? failure : new ApiError(0, "CLIENT", String(failure)));
        setLoading(false);
      },
    );
  }, [token, path]);
  useEffect(() => {
    setData(undefined);
    load();
    return () => {
      generation.current++;
    };
  }, [load]);
  return { data, error, loading, reload: load };
}

export type StreamState = "connecting" | "live" | "disconnected";

/**
 * Server-Sent Events of the project (or one release), from the event after `after` on. EventSource
 * reconnects by itself with Last-Event-ID, so nothing is lost between connections.
 */
export function useEventStream(
  token: string,
  options: { release?: string; after?: number; enabled?: boolean },
  onEvent: (event: TandemEvent) => void,
): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const { release, after, enabled = true } = options;
  useEffect(() => {
    if (!enabled) return;
    setState("connecting");
    const source = new EventSource(streamUrl(token, { release, after }));
    source.onopen = () => setState("live");
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "disconnected" : "connecting");
    source.onmessage = (message: MessageEvent<string>) => {
      try {
        handler.current(JSON.parse(message.data) as TandemEvent);
      } catch {
        // a message that is not an event is not ours to show
      }
    };
    return () => source.close();
  }, [token, release, after, enabled]);
  return state;
}

/** Calls `fn` at most once per `ms`, the last call winning (bursts of events cause one refetch). */
export function useDebounced(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
