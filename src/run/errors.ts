// The failure of a RUN command itself, as opposed to a failure to set it up.
import { BuilderError } from '../util/errors.ts';

export class RunFailedError extends BuilderError {
  /** The command's exit status; 128 + N when it was killed by signal N, as shells report it. */
  readonly exitCode: number;

  constructor(exitCode: number, signal: NodeJS.Signals | null) {
    super(
      'RUN_FAILED',
      signal
        ? `RUN exit ${exitCode}: the command was killed by ${signal}`
        : `RUN exit ${exitCode}: the command returned a non-zero code: ${exitCode}`,
    );
    this.name = 'RunFailedError';
    this.exitCode = exitCode;
  }
}
