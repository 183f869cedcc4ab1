/**
 * Cheap per-call abort callbacks. A job's AbortSignal sees one registration per evaluation;
 * EventTarget's addEventListener + removeEventListener cost ~15 us per evaluation in the
 * coordinator's profile (bench/README.md), so each signal gets one real listener that runs the
 * callbacks registered here, and registering or dropping a callback is a Set operation.
 */
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts (not if it already has: check `signal.aborted` first).
 * Returns the function that unregisters it.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let registered = callbacks.get(signal);
  if (!registered) {
    const fns = new Set<() => void>();
    signal.addEventListener(
      'abort',
      () => {
        const pending = [...fns];
        fns.clear();
        for (const f of pending) f();
      },
      { once: true },
    );
    callbacks.set(signal, fns);
    registered = fns;
  }
  const fns = registered;
  fns.add(fn);
  return () => fns.delete(fn);
}
