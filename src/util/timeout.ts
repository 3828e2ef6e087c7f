// Bounding a lookup that may never answer (a metadata or managed identity endpoint off its cloud):
// the SDKs' own abort signals are not honoured by every credential, so the caller stops waiting.

/** The work's result, or undefined when it has not settled within `ms` (the work is left to run). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
