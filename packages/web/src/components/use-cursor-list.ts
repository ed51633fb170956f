/**
 * A list read page by page with the APIs' opaque cursors: the first page whenever `key` (the
 * filters) changes, then `loadMore` appends the next. A reply for older filters is dropped.
 */
import { useCallback, useEffect, useRef, useState } from "react";

export interface CursorPage<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string | null;
}

export function useCursorList<T>(key: string, load: (cursor: string | undefined) => Promise<CursorPage<T>>) {
  const [items, setItems] = useState<readonly T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const fetchPage = useCallback(async (cursor: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    try {
      const page = await loadRef.current(cursor);
      if (mine !== generation.current) return;
      setItems((before) => (append ? [...before, ...page.items] : page.items));
      setNextCursor(page.nextCursor ?? undefined);
    } catch (failure) {
      if (mine === generation.current) setError(failure);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void fetchPage(undefined, false);
  }, [key, fetchPage]);

  return {
    items,
    setItems,
    loading,
    error,
    hasMore: nextCursor !== undefined,
    loadMore: () => (nextCursor === undefined ? undefined : void fetchPage(nextCursor, true)),
    reload: () => void fetchPage(undefined, false),
  };
}
