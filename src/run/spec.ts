// The shape of one RUN as the build engine hands it to a Runner (documented in index.ts), and
// the checks every runner makes on it.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { BuilderError, fromSystemError } from '../util/errors.ts';

export type Isolation = 'chroot' | 'host';

/** A read-only (or copy-on-write) view of a host directory, like `RUN --mount=type=bind`. */
export interface BindMount {
  type: 'bind';
  /** Host directory (or file) to show at `target`. */
  source: string;
  target: string;
  /** BuildKit's `rw`: the command may write, but its writes are thrown away afterwards. */
  readWrite?: boolean;
}

/** A persistent host directory the caller keeps between builds, like `RUN --mount=type=cache`. */
export interface CacheMount {
  type: 'cache';
  source: string;
  target: string;
  readOnly?: boolean;
}

/** An empty in-memory filesystem, like `RUN --mount=type=tmpfs`. */
export interface TmpfsMount {
  type: 'tmpfs';
  target: string;
  /** Size limit in bytes; the kernel's default (half of RAM) when absent. */
  size?: number;
}

/** A file made from `data`, like `RUN --mount=type=secret`; its bytes never reach a log. */
export interface SecretMount {
  type: 'secret';
  id: string;
  data: Uint8Array;
  /** Defaults to `/run/secrets/<id>`. */
  target?: string;
  uid?: number;
  gid?: number;
  /** Defaults to 0o400. */
  mode?: number;
}

export type RunMount = BindMount | CacheMount | TmpfsMount | SecretMount;

export interface RunSpec {
  /** The directory the command sees as `/`: a stage rootfs or overlay merged dir; `/` in host mode. */
  rootDir: string;
  /** The program and its arguments, already expanded from shell or exec form by the caller. */
  argv: string[];
  /** Exactly the environment of the command, `KEY=VALUE`; PATH and HOME are added when absent. */
  env: string[];
  /** WORKDIR, created (owned by root, 0755) when missing. */
  cwd: string;
  /** USER: `name`, `uid`, `name:group`, `uid:gid`, … ; `''` means root. */
  user: string;
  network: 'default' | 'none';
  mounts: RunMount[];
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

export interface Runner {
  readonly isolation: Isolation;
  /** Resolves when the command exits 0; throws RunFailedError (code RUN_FAILED) otherwise. */
  run(spec: RunSpec): Promise<void>;
}

/** What every runner checks first; returns the rootDir as an absolute path. */
export async function checkSpec(spec: RunSpec): Promise<string> {
  spec.signal?.throwIfAborted();
  if (spec.argv.length === 0) throw new BuilderError('BUILD_FAILED', 'RUN needs a command: the argument list is empty');
  const rootDir = resolve(spec.rootDir);
  const st = await stat(rootDir).catch((err: unknown) => {
    throw fromSystemError(err, `RUN root directory ${rootDir}`);
  });
  if (!st.isDirectory()) throw new BuilderError('INTERNAL', `RUN root directory ${rootDir} is not a directory`);
  return rootDir;
}
