// USER resolution as docker does it (runc's GetExecUser): names are looked up in the rootfs's own
// /etc/passwd and /etc/group, never the host's; numeric ids that exist nowhere are used as given.
import { readFile } from 'node:fs/promises';
import { BuilderError } from '../util/errors.ts';
import { resolveInRoot } from './in-root.ts';

export interface ExecUser {
  uid: number;
  gid: number;
  /**
   * Supplementary groups: the primary gid first (docker always includes it since CVE-2022-36109,
   * or a `chmod g-r` file could be read by dropping the group), then the groups listing the user
   * as a member, unless USER named a group explicitly.
   */
  groups: number[];
  /** From passwd; `/` when the user has no entry. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

function numeric(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = numeric(f[2]);
    const gid = numeric(f[3]);
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const gid = numeric(f[2]);
    if (gid === undefined) continue;
    out.push({ name: f[0], gid, members: f[3].split(',').filter(Boolean) });
  }
  return out;
}

/** Resolves `spec` ("", "name", "uid", "name:group", "uid:gid", …) against file contents. */
export function resolveUser(spec: string, passwdText: string, groupText: string): ExecUser {
  const colon = spec.indexOf(':');
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? '' : spec.slice(colon + 1);
  const passwd = parsePasswd(passwdText);
  const group = parseGroup(groupText);

  const uidArg = numeric(userArg === '' ? '0' : userArg);
  const entry = passwd.find((u) => (uidArg !== undefined ? u.uid === uidArg : u.name === userArg));
  if (!entry && uidArg === undefined) {
    throw new BuilderError('BUILD_FAILED', `USER ${spec}: unable to find user ${userArg}: no matching entry in the image's /etc/passwd`);
  }
  const user: ExecUser = { uid: entry?.uid ?? uidArg ?? 0, gid: entry?.gid ?? 0, groups: [], home: entry?.home || '/' };

  if (groupArg !== '') {
    // An explicit group replaces the primary one and, as in docker, brings no supplementary groups.
    const gidArg = numeric(groupArg);
    const g = group.find((e) => (gidArg !== undefined ? e.gid === gidArg : e.name === groupArg));
    if (!g && gidArg === undefined) {
      throw new BuilderError('BUILD_FAILED', `USER ${spec}: unable to find group ${groupArg}: no matching entry in the image's /etc/group`);
    }
    user.gid = g?.gid ?? gidArg ?? 0;
  }
  const member = groupArg === '' && entry ? group.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  user.groups = [...new Set([user.gid, ...member])];
  return user;
}

async function readInRoot(rootDir: string, path: string): Promise<string> {
  try {
    return await readFile(await resolveInRoot(rootDir, path), 'utf8');
  } catch (err) {
    // An image without passwd/group (scratch, distroless) still runs numeric users.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

export async function lookupUser(rootDir: string, spec: string): Promise<ExecUser> {
  const [passwd, group] = await Promise.all([readInRoot(rootDir, '/etc/passwd'), readInRoot(rootDir, '/etc/group')]);
  return resolveUser(spec, passwd, group);
}
