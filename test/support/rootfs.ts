// A small busybox rootfs in a directory, for tests that run commands in a chroot: Debian's
// static busybox with its applet links, and users root, nobody and app (in a supplementary
// group `extra`) so USER handling can be checked.
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.ts';

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');

export const GROUP = ['root:x:0:', 'app:x:1000:', 'extra:x:2000:app', 'nogroup:x:65534:', ''].join('\n');

export async function makeBusyboxRootfs(dir: string): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home/app']) {
    await mkdir(join(dir, d), { recursive: true, mode: 0o755 });
  }
  await copyFile('/bin/busybox', join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  await run('chroot', [dir, '/bin/busybox', '--install', '-s']);
  await writeFile(join(dir, 'etc/passwd'), PASSWD);
  await writeFile(join(dir, 'etc/group'), GROUP);
  // mkdtemp makes 0700 dirs; an image's / is 0755, and USER nobody must be able to walk it.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'tmp'));
  await chmod(join(dir, 'tmp'), 0o1777);
}
