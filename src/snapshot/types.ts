// One interface for every way of finding what a build step changed in a rootfs.
import type { ChangeSet } from './changes.ts';

export type SnapshotMode = 'full' | 'redo' | 'time';

/** A RUN step in progress: the command sees `runRoot` as its "/". */
export interface Snapshot {
  /** Where the runner must chroot: the overlay's merged dir, or the rootfs itself for walk. */
  readonly runRoot: string;
  /**
   * Ends the step and returns its changes, whose content is read from the set's `rootfs`. The
   * snapshotter's rootfs holds the result once settle() has run (overlay puts it there only
   * then, so a last step's result is never copied at all). The runner must first have stopped
   * its processes and unmounted what it mounted inside `runRoot`.
   */
  finish(): Promise<ChangeSet>;
  /**
   * Gives the step up. The overlay snapshotter discards what the command wrote; walk cannot undo
   * writes made in place, so it only re-indexes (a failed RUN fails the build anyway).
   */
  abort(): Promise<void>;
}

export interface Snapshotter {
  readonly kind: 'overlay' | 'walk';
  readonly rootfs: string;
  /** Puts a finished step's result onto the rootfs, if it is not there yet. */
  settle(): Promise<void>;
  /** Starts a RUN step (settling the last one first); one at a time. */
  begin(): Promise<Snapshot>;
  /**
   * Changes for paths that COPY/ADD wrote into the rootfs themselves, which the caller settled
   * before writing (absolute in the image, or relative to it); directories stand for everything
   * under them. No scan of the rest.
   */
  pathsChanged(paths: readonly string[]): Promise<ChangeSet>;
}
