// Memoizes an async computation: the lazy images fetch a manifest or config once and share it.
// A failure is not remembered, so a later call retries.
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= fn().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
