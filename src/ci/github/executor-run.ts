// Runs kiln-executor in the step's own Node (no install at run time): dist/executor.js beside the
// bundle, or the sources under the same tsx loader when the action itself runs from source. Its
// log is folded into one collapsible group per Dockerfile stage.
import { exec } from '@actions/exec';
import { fileURLToPath } from 'node:url';

export interface StepLog {
  startGroup(name: string): void;
  endGroup(): void;
  line(text: string): void;
}

/** node's arguments before the executor's own. */
export function executorEntry(): string[] {
  if (!import.meta.url.endsWith('.ts')) return [fileURLToPath(new URL('./executor.js', import.meta.url))];
  return [...process.execArgv, fileURLToPath(new URL('../../cli/executor.ts', import.meta.url))];
}

/** The stage a step line (`[STAGE n/m] …`, progress.ts) belongs to, or undefined for other lines. */
export function stageOf(line: string): string | undefined {
  return /^\[(\S+) \d+\/\d+\] /.exec(line)?.[1];
}

/** Opens a group whenever the stage changes; lines before the first stage stay outside. */
export function stageGrouper(log: StepLog): { line(text: string): void; end(): void } {
  let open: string | undefined;
  return {
    line(text) {
      const stage = stageOf(text);
      if (stage !== undefined && stage !== open) {
        if (open !== undefined) log.endGroup();
        log.startGroup(`stage ${stage}`);
        open = stage;
      }
      log.line(text);
    },
    end() {
      if (open !== undefined) log.endGroup();
      open = undefined;
    },
  };
}

/** The executor's exit code; its output goes through `log`, grouped by stage. */
export async function runExecutor(argv: string[], env: Record<string, string>, log: StepLog): Promise<number> {
  const groups = stageGrouper(log);
  try {
    return await exec(process.execPath, [...executorEntry(), ...argv], {
      env,
      silent: true,
      ignoreReturnCode: true,
      listeners: { stdline: (l) => groups.line(l), errline: (l) => groups.line(l) },
    });
  } finally {
    groups.end();
  }
}
