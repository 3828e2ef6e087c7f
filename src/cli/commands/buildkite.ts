// `kiln buildkite HOOK`: the Buildkite plugin's hooks (hooks/*) call this; all their logic is here.
import type { Command } from '../command.ts';
import { BuilderError } from '../../util/errors.ts';
import { commandHook, environmentHook, preCommandHook, preExitHook } from '../../ci/buildkite/hooks.ts';

const hooks: Record<string, (env: NodeJS.ProcessEnv) => number | Promise<number>> = {
  environment: () => environmentHook(),
  'pre-command': preCommandHook,
  command: commandHook,
  'pre-exit': preExitHook,
};

export const buildkiteCommand: Command = {
  name: 'buildkite',
  summary: 'Run a hook of the Buildkite plugin (environment, pre-command, command, pre-exit)',
  args: 'HOOK',
  flags: [],
  async run(args) {
    const [hook] = args.positionals;
    const run = hook === undefined ? undefined : hooks[hook];
    if (!run) throw new BuilderError('USAGE', `kiln buildkite: expected a hook: ${Object.keys(hooks).join(', ')}`);
    return run(process.env);
  },
};
