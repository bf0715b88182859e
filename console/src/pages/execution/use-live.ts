import { useCallback, useRef, useSyncExternalStore } from "react";
import { ChangeCounter, pollInterval } from "../../lib/poll.js";

const subscribe = (onChange: () => void) => {
  document.addEventListener("visibilitychange", onChange);
  return () => document.removeEventListener("visibilitychange", onChange);
};

/** Whether the tab is shown; a change re-renders, so hidden tabs stop polling and shown ones resume. */
export function useDocumentVisible(): boolean {
  return useSyncExternalStore(subscribe, () => document.visibilityState !== "hidden", () => true);
}

interface QueryLike<T> {
  state: { data: T | undefined; dataUpdatedAt: number };
}

/**
 * A `refetchInterval` for a live query: back-off while answers repeat, none
 * once `isTerminal` says so or the tab is hidden. Each answer is counted once
 * (the function is also called on re-renders, which must not count).
 * `terminalOutside` is for queries that end with another one (node lists end with their execution).
 */
export function useLiveInterval<T>(fingerprint: (data: T) => string, isTerminal: (data: T | undefined) => boolean, terminalOutside = false) {
  const visible = useDocumentVisible();
  const counter = useRef(new ChangeCounter());
  const counted = useRef(-1);
  const latest = useRef({ fingerprint, isTerminal });
  latest.current = { fingerprint, isTerminal };
  return useCallback(
    (query: QueryLike<T>) => {
      const { data, dataUpdatedAt } = query.state;
      if (data !== undefined && dataUpdatedAt !== counted.current) {
        counted.current = dataUpdatedAt;
        counter.current.observe(latest.current.fingerprint(data));
      }
      return pollInterval({ terminal: latest.current.isTerminal(data), hidden: !visible, unchanged: counter.current.unchanged });
    },
    // A new function makes TanStack Query read the interval again: at once when the tab is hidden or
    // shown, or when something outside the query (the execution) ends, not after one more poll.
    [visible, terminalOutside],
  );
}
