import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    type: 'about:blank',
    title: 'Unexpected error',
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Loads data for `key` (what the request depends on, e.g. its URL): loading until the answer for
 * this key arrives, the last answer kept meanwhile; an older request is aborted.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [nonce, setNonce] = useState(0);
  const full = `${key}#${String(nonce)}`;
  const [state, setState] = useState<{ key: string; data?: T; error?: ApiError }>({ key: '' });
  const run = useEffectEvent((signal: AbortSignal) => load(signal));

  useEffect(() => {
    const controller = new AbortController();
    run(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key: full, data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setState((previous) => ({ key: full, data: previous.data, error: toApiError(error) }));
        }
      },
    );
    return () => {
      controller.abort();
    };
  }, [full]);

  const reload = useCallback(() => {
    setNonce((n) => n + 1);
  }, []);
  return {
    data: state.data,
    error: state.key === full ? state.error : undefined,
    loading: state.key !== full,
    reload,
  };
}

/** A write in progress: its error (a problem document) and a busy flag for the button. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (caught) {
      setError(toApiError(caught));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
  }, []);
  return { busy, error, run, clear };
}
