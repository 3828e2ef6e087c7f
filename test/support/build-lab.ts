// What most build tests start from: a plain lab registry holding busybox, and a work directory;
// close() stops the one and removes the other.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushBaseImages } from './base-images.ts';
import { removeTree } from './mounts.ts';
import { startRegistry, type LabRegistry } from './registry.ts';

export interface BuildLab {
  reg: LabRegistry;
  /** The busybox reference in `reg`. */
  busybox: string;
  work: string;
  close(): Promise<void>;
}

export async function openBuildLab(workPrefix: string): Promise<BuildLab> {
  const reg = await startRegistry('plain');
  const { busybox } = await pushBaseImages(reg, ['busybox']);
  const work = await mkdtemp(join(tmpdir(), workPrefix));
  return {
    reg,
    busybox,
    work,
    close: async () => {
      await reg.stop();
      // Killed builds may have left overlays mounted in workspaces under it.
      await removeTree(work);
    },
  };
}
