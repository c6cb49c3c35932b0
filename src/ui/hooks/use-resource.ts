// The one way the UI reads from the API. Every read is a resource named by a key (its path):
// when the key changes, or the view goes away, the request in flight is aborted
// (AbortController), so an answer never lands in a view that asked for something else.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { isAbort, request, type ApiResponse, type RequestOptions } from "../api";

export interface Resource<T> {
  /** The last successful answer, kept while the next one loads and after a failed reload. */
  data: T | null;
  /** Response headers of `data` (ETag, X-Total-Count, Link…). */
  headers: Headers | null;
  /** The key `data` was loaded for: compare with the current key before describing it. */
  dataKey: string | null;
  /** The failure of the last request for the current key; cleared by its next success. */
  error: unknown;
  /** A request for the current key is in flight. */
  loading: boolean;
  /** `data` answers the current key and nothing newer is loading. */
  settled: boolean;
  reload(): void;
}

export interface ResourceOptions<T = unknown> {
  /**
   * Load again this long after each answer (success or failure); null or absent: only on demand.
   * A function decides from the latest data (e.g. poll while a run is in progress).
   */
  refreshMs?: number | null | undefined | ((data: T | null) => number | null);
  /** Any change of this value loads again (e.g. a version bumped after a write). */
  refreshKey?: unknown;
}

/** What a loader resolves to: an API response, or any value with the headers it came with. */
type Loader<T> = (signal: AbortSignal) => Promise<Pick<ApiResponse<T>, "data"> & { headers?: Headers | null }>;

interface State<T> {
  data: T | null;
  headers: Headers | null;
  dataKey: string | null;
  error: unknown;
  errorKey: string | null;
  loadingKey: string | null;
  /** Counts finished requests: the polling timer restarts after each one. */
  answers: number;
}

/**
 * A resource loaded by `load` for `key` (null: nothing to load). `load` may change between
 * renders; only `key`, `refreshKey`, a reload or the polling timer start a request.
 */
export function useResource<T>(key: string | null, load: Loader<T>, options: ResourceOptions<T> = {}): Resource<T> {
  const [state, setState] = useState<State<T>>({ data: null, headers: null, dataKey: null, error: null, errorKey: null, loadingKey: null, answers: 0 });
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loadingKey: key }));
    loader.current(controller.signal).then(
      (res) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ data: res.data, headers: res.headers ?? null, dataKey: key, error: null, errorKey: null, loadingKey: null, answers: s.answers + 1 }));
      },
      (error) => {
        if (controller.signal.aborted || isAbort(error)) return;
        setState((s) => ({ ...s, error, errorKey: key, loadingKey: null, answers: s.answers + 1 }));
      },
    );
    return () => controller.abort();
  }, [key, tick, options.refreshKey]);

  const refreshMs = typeof options.refreshMs === "function" ? options.refreshMs(state.data) : options.refreshMs;
  useEffect(() => {
    if (key === null || refreshMs === null || refreshMs === undefined || state.loadingKey !== null) return;
    const timer = setTimeout(() => setTick((t) => t + 1), refreshMs);
    return () => clearTimeout(timer);
  }, [key, refreshMs, state.answers, state.loadingKey]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const loading = key !== null && state.loadingKey === key;
  return {
    data: state.data,
    headers: state.headers,
    dataKey: state.dataKey,
    error: state.errorKey === key ? state.error : null,
    loading,
    settled: key !== null && state.dataKey === key && !loading,
    reload,
  };
}

/** GET `path` from the API (null: nothing to load). */
export function useApiResource<T>(path: string | null, options: ResourceOptions<T> & Pick<RequestOptions, "anonymous" | "okStatuses"> = {}): Resource<T> {
  const { anonymous, okStatuses } = options;
  return useResource<T>(path, (signal) => request<T>(path!, { signal, anonymous, okStatuses }), options);
}
