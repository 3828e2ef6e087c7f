// Turning a registry's error answer into a BuilderError. Registries explain themselves in a JSON
// body ({"errors":[{"code","message","detail"}]}); the message keeps their words after ours.
import { BuilderError, type ErrorCode } from '../util/errors.ts';
import { header, type HttpResponse } from './transport.ts';

export interface RegistryErrorDetail {
  code: string;
  message: string;
}

/** What the request was about, for the message and for choosing the code of a 404. */
export interface ErrorSubject {
  /** Names the registry host: an image reference, "host/repo@digest", or the host itself. */
  what: string;
  kind: 'manifest' | 'blob' | 'upload' | 'tags' | 'ping' | 'token';
}

const MAX_ERROR_BODY = 16 * 1024;

export async function readErrorBody(res: HttpResponse): Promise<RegistryErrorDetail[]> {
  let text = '';
  try {
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    return [];
  } finally {
    res.body.destroy();
  }
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }>; details?: unknown };
    return (parsed.errors ?? []).map((e) => ({ code: String(e.code ?? ''), message: String(e.message ?? '') }));
  } catch {
    // Token servers and proxies answer in plain text or HTML; keep one short line of it.
    const line = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
    return line && !line.startsWith('<') ? [{ code: '', message: line }] : [];
  }
}

function describe(details: RegistryErrorDetail[]): string {
  return details
    .map((d) => (d.message ? d.message : d.code.toLowerCase()))
    .filter(Boolean)
    .join('; ');
}

function codeFor(status: number, details: RegistryErrorDetail[], subject: ErrorSubject): ErrorCode {
  const codes = new Set(details.map((d) => d.code));
  if (status === 401) return 'REGISTRY_UNAUTHORIZED';
  if (status === 403) return 'REGISTRY_DENIED';
  if (codes.has('DIGEST_INVALID') || codes.has('SIZE_INVALID')) return 'DIGEST_MISMATCH';
  if (status === 404 || codes.has('MANIFEST_UNKNOWN') || codes.has('BLOB_UNKNOWN') || codes.has('NAME_UNKNOWN')) {
    if (subject.kind === 'manifest') return 'MANIFEST_UNKNOWN';
    if (subject.kind === 'blob' || codes.has('BLOB_UNKNOWN')) return 'BLOB_UNKNOWN';
  }
  return 'REGISTRY_ERROR';
}

function leadFor(code: ErrorCode, status: number): string {
  switch (code) {
    case 'REGISTRY_UNAUTHORIZED':
      return 'unauthorized: authentication required';
    case 'REGISTRY_DENIED':
      return 'denied: requested access to the resource is denied';
    case 'MANIFEST_UNKNOWN':
      return 'manifest unknown';
    case 'BLOB_UNKNOWN':
      return 'blob unknown';
    case 'DIGEST_MISMATCH':
      return 'the registry computed a different digest for the bytes sent';
    default:
      return status === 429 ? 'too many requests (HTTP 429)' : `registry answered HTTP ${status}`;
  }
}

/** Builds the error for an unexpected status, using the details already read from the body. */
export function statusError(status: number, details: RegistryErrorDetail[], subject: ErrorSubject): BuilderError {
  const code = codeFor(status, details, subject);
  const lead = leadFor(code, status);
  const said = describe(details);
  // Don't repeat the registry when it said exactly our lead ("unauthorized: authentication required").
  const tail = said && !lead.toLowerCase().includes(said.toLowerCase()) ? ` (${said})` : '';
  // The status rides along as the cause so retry logic can tell a 503 from a 400.
  return new BuilderError(code, `${subject.what}: ${lead}${tail}`, { cause: { status } });
}

/** Reads the error body of `res` and builds the error. */
export async function responseError(res: HttpResponse, subject: ErrorSubject): Promise<BuilderError> {
  const details = await readErrorBody(res);
  const err = statusError(res.status, details, subject);
  const retryAfter = header(res, 'retry-after');
  return retryAfter && res.status === 429 ? new BuilderError(err.code, `${err.message}; retry after ${retryAfter}`, { cause: err.cause }) : err;
}
