// Picks the snapshotter for a stage: overlay where overlayfs mounts beside the rootfs (cost
// O(changes)), walk elsewhere (cost O(files)), or the one the user asked for.
import { dirname } from 'node:path';
import { log } from '../util/log.ts';
import { BuilderError } from '../util/errors.ts';
import { OverlaySnapshotter, overlaySupported } from './overlay.ts';
import type { Snapshotter, SnapshotMode } from './types.ts';
import { WalkSnapshotter } from './walk.ts';

export interface SnapshotterOptions {
  kind: 'auto' | 'overlay' | 'walk';
  /** --snapshot-mode, used by walk. */
  mode: SnapshotMode;
  /** --ignore-path values, and kiln's own directory when it runs on the image's "/". */
  ignorePaths?: readonly string[];
}

/** A snapshotter for `rootfs`, which must already hold the extracted base image. */
export async function createSnapshotter(rootfs: string, opts: SnapshotterOptions): Promise<Snapshotter> {
  const overlayOk = opts.kind !== 'walk' && (await overlaySupported(dirname(rootfs)));
  if (opts.kind === 'overlay' && !overlayOk) {
    throw new BuilderError('ISOLATION', `the overlay snapshotter was requested but overlayfs does not mount in ${dirname(rootfs)}; use the walk snapshotter`);
  }
  if (overlayOk) return new OverlaySnapshotter(rootfs, opts.ignorePaths);
  if (opts.kind === 'auto') log.debug(`overlayfs does not mount in ${dirname(rootfs)}: walking the rootfs to find changes`);
  const started = performance.now();
  const walk = WalkSnapshotter.create(rootfs, { mode: opts.mode, ignorePaths: opts.ignorePaths });
  log.debug(`indexed ${walk.size} paths of ${rootfs} in ${Math.round(performance.now() - started)} ms`, { mode: opts.mode });
  return walk;
}
