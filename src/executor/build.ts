import type { BuildOptions } from './options.ts';
import { BuilderError } from '../util/errors.ts';

export async function runBuild(_options: BuildOptions): Promise<number> {
  throw new BuilderError('USAGE', 'building needs --dry-run until the build engine lands');
}
