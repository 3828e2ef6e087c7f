// The job's private directory (DOCKER_CONFIG, the metadata file). Hooks run in separate
// processes, so pre-command, command and pre-exit derive the same path from BUILDKITE_JOB_ID
// instead of passing it along; it is created 0700 and checked to be ours before use, since a
// predictable name under a shared temp dir could have been made by someone else first.
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuilderError } from '../../util/errors.ts';

export function jobDir(env: NodeJS.ProcessEnv): string {
  const id = (env.BUILDKITE_JOB_ID ?? '').replace(/[^A-Za-z0-9_-]/g, '');
  if (!id) throw new BuilderError('USAGE', 'BUILDKITE_JOB_ID is not set: run the kiln plugin hooks from a Buildkite job');
  return join(env.KILN_BUILDKITE_TMPDIR ?? tmpdir(), `kiln-buildkite-${id}`);
}

export function createJobDir(env: NodeJS.ProcessEnv): string {
  const dir = jobDir(env);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'docker'), { recursive: true, mode: 0o700 });
  return dir;
}

/** The directory pre-command made, or undefined; refuses one that is not a 0700 directory of ours. */
export function existingJobDir(env: NodeJS.ProcessEnv): string | undefined {
  const dir = jobDir(env);
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return undefined;
  }
  const uid = process.getuid?.();
  if (!st.isDirectory() || (st.mode & 0o077) !== 0 || (uid !== undefined && st.uid !== uid)) {
    throw new BuilderError('CREDENTIALS', `${dir}: not a private directory of this user; refusing to use it`);
  }
  return dir;
}

export function removeJobDir(env: NodeJS.ProcessEnv): void {
  rmSync(jobDir(env), { recursive: true, force: true });
}
