import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);

// src/util/errors.ts
var BuilderError = class extends Error {
  code;
  constructor(code, message, options) {
    super(message, options);
    this.name = "BuilderError";
    this.code = code;
  }
};
function fromSystemError(err, what) {
  if (err instanceof BuilderError) return err;
  const code = err?.code;
  switch (code) {
    case "ENOENT":
      return new BuilderError("FILE_NOT_FOUND", `${what}: no such file or directory`, { cause: err });
    case "ENOSPC":
    case "EDQUOT":
      return new BuilderError("DISK_FULL", `${what}: no space left on device`, { cause: err });
    case "EACCES":
    case "EPERM":
      return new BuilderError("IO", `${what}: permission denied`, { cause: err });
    case "EROFS":
      return new BuilderError("IO", `${what}: read-only file system`, { cause: err });
    default:
      return err;
  }
}
function describeError(err) {
  if (err instanceof BuilderError) return err.message;
  const sys = fromSystemError(err, err?.path ?? "file");
  if (sys instanceof BuilderError) return sys.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}

export {
  BuilderError,
  fromSystemError,
  describeError
};
