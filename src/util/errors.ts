// Every failure a user can cause is a BuilderError with a stable code; faces map codes to exit
// status and annotations without matching message text.

export type ErrorCode =
  | 'USAGE'
  | 'DOCKERFILE_PARSE'
  | 'DOCKERFILE_STAGE'
  | 'CONTEXT_NOT_FOUND'
  | 'CONTEXT_INVALID'
  | 'FILE_NOT_FOUND'
  | 'REFERENCE_INVALID'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_ERROR'
  | 'MANIFEST_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'DIGEST_MISMATCH'
  | 'PLATFORM_NOT_FOUND'
  | 'CREDENTIALS'
  | 'LAYER_INVALID'
  | 'RUN_FAILED'
  | 'ISOLATION'
  | 'BUILD_FAILED'
  | 'IO'
  | 'DISK_FULL'
  | 'INTERNAL';

export class BuilderError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuilderError';
    this.code = code;
  }
}

export function isBuilderError(err: unknown, code?: ErrorCode): err is BuilderError {
  return err instanceof BuilderError && (code === undefined || err.code === code);
}

/** Exit status for a failure: 2 for a usage error, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  return isBuilderError(err, 'USAGE') ? 2 : 1;
}

/**
 * Turns a Node system error (ENOENT, ENOSPC, EACCES, …) met while touching `path` into a
 * BuilderError that names the path; anything else passes through unchanged.
 */
export function fromSystemError(err: unknown, what: string): unknown {
  if (err instanceof BuilderError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new BuilderError('FILE_NOT_FOUND', `${what}: no such file or directory`, { cause: err });
    case 'ENOSPC':
    case 'EDQUOT':
      return new BuilderError('DISK_FULL', `${what}: no space left on device`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new BuilderError('IO', `${what}: permission denied`, { cause: err });
    case 'EROFS':
      return new BuilderError('IO', `${what}: read-only file system`, { cause: err });
    default:
      return err;
  }
}

/** One line for the user: the message of a BuilderError, or a generic line for a bug. */
export function describeError(err: unknown): string {
  if (err instanceof BuilderError) return err.message;
  const sys = fromSystemError(err, (err as NodeJS.ErrnoException | undefined)?.path ?? 'file');
  if (sys instanceof BuilderError) return sys.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}
