// buildah as the benchmarks measure it (LAB-NOTES): `buildah build --isolation chroot` on the
// overlay driver, then a push, in one shell so that both are timed together, as kiln's build
// includes its push. Storage and temp files live under `dir`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildahEnv } from '../../test/support/buildah.ts';
import type { LabRegistry } from '../../test/support/registry.ts';
import { measure, type Measurement } from './measure.ts';

export interface BuildahBuild {
  reg: LabRegistry;
  context: string;
  dockerfile: string;
  /** Pushed here (a reference in `reg`). */
  ref: string;
  /** Holds the storage, its run root and TMPDIR. */
  dir: string;
  /** --layers (default true): the cache a rebuild reuses. */
  layers?: boolean;
  timeoutMs?: number;
}

export async function buildahBuildAndPush(b: BuildahBuild): Promise<Measurement> {
  await mkdir(b.dir, { recursive: true });
  const storageConf = join(b.dir, 'storage.conf');
  await writeFile(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = "${join(b.dir, 'graph')}"\nrunroot = "${join(b.dir, 'run')}"\n`);
  await mkdir(join(b.dir, 'tmp'), { recursive: true });
  const env = { ...(await buildahEnv(b.reg, 'overlay')), CONTAINERS_STORAGE_CONF: storageConf, TMPDIR: join(b.dir, 'tmp'), REF: b.ref };
  const script = 'buildah build "$@" && buildah push --quiet --storage-driver overlay --tls-verify=false "$REF" "docker://$REF"';
  return measure('sh', [
    '-c', script, 'sh',
    '--storage-driver', 'overlay', '--isolation', 'chroot', b.layers === false ? '--layers=false' : '--layers', '--tls-verify=false', '--quiet', '-f', b.dockerfile, '-t', b.ref, b.context,
  ], { env, timeoutMs: b.timeoutMs });
}
