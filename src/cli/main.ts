// kiln's command line. Each command lives in commands/; this file only dispatches and turns
// errors into one clear line and an exit status.
import { pathToFileURL } from 'node:url';
import { parseArgs, formatUsage, closest } from './flags.ts';
import type { Command } from './command.ts';
import { BuilderError, describeError, exitCodeFor } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import { log } from '../util/log.ts';
import { commands } from './commands/index.ts';

function topUsage(): string {
  const lines = ['kiln: build container images from Dockerfiles without a daemon', '', 'Usage: kiln COMMAND [FLAGS]', '', 'Commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run "kiln COMMAND --help" for the flags of a command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // The AWS SDK warns on every run under Node < 22. kiln carries the SDK in its own bundle and
  // supports Node 20, so the warning is nothing a kiln user can act on; it only adds noise to
  // one-line errors.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topUsage() + '\n');
    return name ? 0 : 2;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    const hint = closest(name, commands.map((c) => c.name));
    process.stderr.write(`kiln: unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\n${formatUsage(`${command.name} ${command.args ?? ''}`.trim(), command.flags)}\n`);
    return 0;
  }
  try {
    return await command.run(parseArgs(rest, command.flags));
  } catch (err) {
    process.stderr.write(`kiln ${command.name}: ${redact(describeError(err))}\n`);
    if (!(err instanceof BuilderError)) log.debug(redact(String((err as Error)?.stack ?? err)));
    return exitCodeFor(err);
  }
}

// Bundles say which entry they are (scripts/build.mjs); from source, this file is the entry when
// node was started on it.
declare const KILN_ENTRY: string | undefined;
const bundledAs = typeof KILN_ENTRY === 'string' ? KILN_ENTRY : undefined;
const isEntry = bundledAs !== undefined ? bundledAs === 'kiln' : Boolean(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`kiln: ${redact(describeError(err))}\n`);
      process.exitCode = 1;
    },
  );
}
