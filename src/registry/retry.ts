// When and how long to wait before trying a registry request again.

/** Statuses that mean "try again later" rather than "this is wrong" (as go-containerregistry). */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

// Node and undici names for a connection that broke or never answered in time.
const RETRY_ERROR_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
/** A server asking for more than this is treated as asking for this: a build should not hang. */
export const MAX_RETRY_AFTER_MS = 60_000;

export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUSES.has(status);
}

/**
 * True for a broken connection, or an error built from a retryable status; undici and our own
 * errors wrap the telling part, so the whole cause chain is searched.
 */
export function isRetryableError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const { code, status } = e as { code?: unknown; status?: unknown };
    if (typeof code === 'string' && RETRY_ERROR_CODES.has(code)) return true;
    if (typeof status === 'number' && isRetryableStatus(status)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3). Returns milliseconds to
 * wait, clamped to [0, MAX_RETRY_AFTER_MS], or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // An HTTP-date always names a day or month; this keeps "-1" or "1.5" from parsing as a date.
    if (!/[a-z]/i.test(text)) return undefined;
    const when = Date.parse(text);
    if (Number.isNaN(when)) return undefined;
    ms = when - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Exponential backoff with full jitter for attempt 0, 1, 2, … */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
