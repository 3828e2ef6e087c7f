// Temp dirs of the lab carry their owner's pid in the name, so a later run can remove those
// left behind by a process that died before it could clean up.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from './mounts.ts';
import { alive } from './once.ts';

const NAME = /^kiln-lab-[a-z-]+-(\d+)-[A-Za-z0-9]{6}$/;

let swept: Promise<void> | undefined;

async function sweep(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const m = NAME.exec(name);
    if (m && !alive(Number(m[1]))) await removeTree(join(tmpdir(), name)).catch(() => undefined);
  }
}

/** A fresh dir `kiln-lab-<kind>-<pid>-XXXXXX` in the system temp dir; sweeps dead owners' dirs once per process. */
export async function labTempDir(kind: string): Promise<string> {
  swept ??= sweep();
  await swept;
  return mkdtemp(join(tmpdir(), `kiln-lab-${kind}-${process.pid}-`));
}
