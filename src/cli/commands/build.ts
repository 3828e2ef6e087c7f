// `kiln build [CONTEXT]`: with --dry-run, print the resolved plan from the Dockerfile alone;
// otherwise hand the options to the executor.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Command } from '../command.ts';
import { buildFlags, toBuildOptions } from '../build-flags.ts';
import type { BuildOptions } from '../../executor/options.ts';
import { runBuild, targetPlatforms } from '../../executor/build.ts';
import { parseDockerfile, planStages, formatPlan, unusedArgsWarning } from '../../dockerfile/index.ts';
import { formatPlatform, hostPlatform } from '../../oci/platform.ts';
import { BuilderError, fromSystemError, isBuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A local directory for the context, when it is one (a plain path or dir://). */
function localContext(context: string, subPath: string | undefined): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) && !context.startsWith('dir://')) return undefined;
  const dir = context.startsWith('dir://') ? context.slice('dir://'.length) : context;
  return subPath ? join(dir, subPath) : dir;
}

/** The Dockerfile's text and the name errors use for it. */
async function readDockerfile(options: BuildOptions): Promise<{ text: string; name: string }> {
  if (options.dockerfile === '-') return { text: await readStdin(), name: 'Dockerfile' };
  const dir = localContext(options.context, options.contextSubPath);
  const candidates = isAbsolute(options.dockerfile) ? [options.dockerfile] : [...(dir ? [join(dir, options.dockerfile)] : []), options.dockerfile];
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new BuilderError('FILE_NOT_FOUND', `Dockerfile not found: looked for ${candidates.join(' and ')} (set it with --dockerfile)`);
  }
  try {
    return { text: await readFile(path, 'utf8'), name: options.dockerfile };
  } catch (err) {
    throw fromSystemError(err, path);
  }
}

async function dryRun(options: BuildOptions): Promise<number> {
  const { text, name } = await readDockerfile(options);
  try {
    const ast = parseDockerfile(text, { file: name });
    for (const w of ast.warnings) log.warn(`${name}:${w.position.line}:${w.position.column}: ${w.message}`);
    const platforms = targetPlatforms(options);
    for (const platform of platforms) {
      const { build, stages } = planStages(ast, {
        buildArgs: new Map(Object.entries(options.buildArgs)),
        target: options.target,
        skipUnusedStages: options.skipUnusedStages,
        platform,
        buildPlatform: hostPlatform(),
      });
      if (platforms.length > 1) process.stdout.write(`# ${formatPlatform(platform)}\n`);
      process.stdout.write(formatPlan(build, stages));
      const unused = unusedArgsWarning(build);
      if (unused) log.warn(unused);
    }
    return 0;
  } catch (err) {
    // The first Dockerfile error alone, as "Dockerfile:LINE:COL: message".
    if (isBuilderError(err, 'DOCKERFILE_PARSE') || isBuilderError(err, 'DOCKERFILE_STAGE')) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export const buildCommand: Command = {
  name: 'build',
  summary: 'Build an image from a Dockerfile (accepts kaniko executor flags)',
  args: '[CONTEXT]',
  flags: buildFlags,
  async run(args) {
    const options = toBuildOptions(args);
    return options.dryRun ? dryRun(options) : runBuild(options);
  },
};
