// --cache-ttl: a cached layer is used only while its entry's creation time plus the TTL lies ahead,
// as kaniko checks it against the `created` of the cache image's config.

/** Whether an entry created at `created` (RFC 3339) is too old; one without a readable time is. */
export function isExpired(created: string | undefined, ttlMs: number, now: Date = new Date()): boolean {
  const at = created === undefined ? NaN : Date.parse(created);
  // An entry kiln cannot date could be of any age: rebuilding is the safe answer.
  if (Number.isNaN(at)) return true;
  return at + ttlMs < now.getTime();
}
