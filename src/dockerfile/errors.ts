// Every error the Dockerfile frontend reports names the place: "Dockerfile:LINE:COL: reason".
import { BuilderError, type ErrorCode } from '../util/errors.ts';
import type { Position } from './ast.ts';

export function dockerfileError(file: string, position: Position, message: string, code: ErrorCode = 'DOCKERFILE_PARSE'): BuilderError {
  return new BuilderError(code, `${file}:${position.line}:${position.column}: ${message}`);
}
