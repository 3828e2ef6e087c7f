// Host programs the runners drive. They are found on kiln's own PATH once, because a command's
// spawn uses the image's PATH, which says nothing about the host.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BuilderError } from '../util/errors.ts';

export function findTool(name: string, pkg: string, isolation: string): string {
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new BuilderError('ISOLATION', `--isolation ${isolation} needs \`${name}\` (${pkg}) on PATH; install ${pkg}`);
}
