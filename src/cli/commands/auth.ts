// `kiln auth ACTION`: the credential layer (src/auth/) from the command line. Each action lives
// in its own auth-*.ts module with its own flags; this file only dispatches. The command table
// parses one flag list per command, so `auth` takes the union and refuses a flag the chosen
// action does not have, naming the action.
import type { Command } from '../command.ts';
import type { FlagSpec, ParsedArgs } from '../flags.ts';
import { BuilderError } from '../../util/errors.ts';
import { configureAction } from './auth-configure.ts';
import { explainAction } from './auth-explain.ts';
import { oidcAction } from './auth-oidc.ts';

export interface AuthAction {
  name: string;
  args: string;
  summary: string;
  flags: FlagSpec[];
  run(args: ParsedArgs): Promise<number>;
}

const actions: AuthAction[] = [explainAction, oidcAction, configureAction];

function unionOfFlags(): FlagSpec[] {
  const byName = new Map<string, FlagSpec>();
  for (const action of actions) for (const flag of action.flags) if (!byName.has(flag.name)) byName.set(flag.name, flag);
  return [...byName.values()];
}

function usageLine(): string {
  return actions.map((a) => `kiln auth ${a.name} ${a.args}`).join(' | ');
}

export const authCommand: Command = {
  name: 'auth',
  summary: `Registry credentials: ${actions.map((a) => a.name).join(', ')} (kiln auth ACTION --help)`,
  args: 'ACTION ...',
  flags: unionOfFlags(),
  async run(args) {
    const [name, ...positionals] = args.positionals;
    const action = actions.find((a) => a.name === name);
    if (!action) throw new BuilderError('USAGE', `${name ? `unknown action "${name}"` : 'expected an action'}; usage: ${usageLine()}`);
    const own = new Set(action.flags.map((f) => f.name));
    for (const flag of args.given) {
      if (!own.has(flag)) throw new BuilderError('USAGE', `${action.name}: unknown flag --${flag} (usage: kiln auth ${action.name} ${action.args})`);
    }
    return action.run({ ...args, positionals });
  },
};
