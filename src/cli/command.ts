import type { FlagSpec, ParsedArgs } from './flags.ts';

export interface Command {
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. "SRC DST". */
  args?: string;
  flags: FlagSpec[];
  run(args: ParsedArgs): Promise<number>;
}
