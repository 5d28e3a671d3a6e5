/**
 * A module loaded on first use and then kept. Heavy modules are imported where they are needed so that
 * start-up stays light; asking `import()` again on every call is not free, though: it resolves the specifier
 * again each time, and under a module loader hook (tsx in development and benchmarks) that is a round trip to
 * the hook's thread. A failed load is forgotten, so the next call tries again.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
