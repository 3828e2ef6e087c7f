// `--chown=user[:group]` resolved the way BuildKit does, against the destination stage's own
// /etc/passwd and /etc/group (read through the rootfs, so a symlinked /etc cannot lead out):
// a numeric user without a group gets the same number as gid, a named user its primary group.
// Unlike BuildKit, which silently falls back to 0 for a name it cannot find, kiln stops with
// an error naming it: a silently root-owned tree is a security surprise.
import { readFile } from 'node:fs/promises';
import { resolveInRoot } from '../../tar/root-path.ts';
import { BuilderError } from '../../util/errors.ts';
import type { Owner } from '../../context/untar.ts';

const NUMERIC = /^[0-9]+$/;

export async function resolveChown(spec: string, rootfs: string, where: string): Promise<Owner> {
  const [userPart, groupPart] = splitOnce(spec, ':');
  if (userPart === '') throw new BuilderError('DOCKERFILE_PARSE', `${where} --chown=${spec}: missing user`);
  let uid: number;
  let gid: number;
  if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    gid = uid;
  } else {
    const entry = (await readDatabase(rootfs, '/etc/passwd')).find((f) => f[0] === userPart);
    if (!entry) throw notFound(where, spec, `user ${userPart}`, '/etc/passwd');
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const entry = (await readDatabase(rootfs, '/etc/group')).find((f) => f[0] === groupPart);
      if (!entry) throw notFound(where, spec, `group ${groupPart}`, '/etc/group');
      gid = Number(entry[2]);
    }
  }
  if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid) || uid > 0xffffffff || gid > 0xffffffff) {
    throw new BuilderError('DOCKERFILE_PARSE', `${where} --chown=${spec}: id out of range`);
  }
  return { uid, gid };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function notFound(where: string, spec: string, what: string, file: string): BuilderError {
  return new BuilderError('BUILD_FAILED', `${where} --chown=${spec}: no ${what} in the stage's ${file}`);
}

/** The colon-separated records of a passwd-style file in the rootfs; none when it is missing. */
async function readDatabase(rootfs: string, path: string): Promise<string[][]> {
  const host = await resolveInRoot(rootfs, path, { followLeaf: true });
  let text: string;
  try {
    text = await readFile(host, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}
