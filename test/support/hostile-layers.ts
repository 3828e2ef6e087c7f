// A corpus of hostile layer tars, generated here (not downloaded) so every case is readable in
// the repo. Headers are built byte by byte around node-tar's Header so that names a careful
// writer would refuse ("../x", absolute paths, oversized PAX records) can be produced at all.
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

const BLOCK = 512;

export interface RawEntry {
  name: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  mode?: number;
  linkpath?: string;
  data?: string | Buffer;
  devmaj?: number;
  devmin?: number;
  /** Raw PAX records to put before the entry (key → value). */
  pax?: Record<string, string | Buffer>;
  /** Claim a PAX header of this size without the data (for the size-limit case). */
  paxClaimedSize?: number;
}

function pad(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

function header(fields: ConstructorParameters<typeof Header>[0] & object): Buffer {
  const block = Buffer.alloc(BLOCK);
  new Header(fields).encode(block);
  return block;
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let digits = 1;
  while (String(body.length + digits).length !== digits) digits++;
  return Buffer.concat([Buffer.from(String(body.length + digits)), body]);
}

export function rawTar(entries: RawEntry[], end = true): Buffer {
  const parts: Buffer[] = [];
  const mtime = new Date(1_700_000_000_000);
  for (const e of entries) {
    if (e.paxClaimedSize !== undefined) {
      parts.push(header({ path: 'PaxHeader', size: e.paxClaimedSize, type: 'ExtendedHeader' as never, mode: 0o644, mtime }));
      continue;
    }
    if (e.pax) {
      const body = Buffer.concat(Object.entries(e.pax).map(([k, v]) => paxRecord(k, v)));
      parts.push(header({ path: 'PaxHeader', size: body.length, type: 'ExtendedHeader' as never, mode: 0o644, mtime }), body, pad(body.length));
    }
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const type = e.type ?? 'File';
    parts.push(
      header({
        path: e.name.length > 100 ? e.name.slice(0, 100) : e.name,
        mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
        uid: 0,
        gid: 0,
        size: type === 'File' ? data.length : 0,
        mtime,
        type: type as never,
        linkpath: e.linkpath ?? '',
        devmaj: e.devmaj ?? 0,
        devmin: e.devmin ?? 0,
      }),
    );
    if (type === 'File') parts.push(data, pad(data.length));
  }
  if (end) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export interface HostileCase {
  name: string;
  tar: Buffer;
  /** Compressed bytes, for the cases about the compression layer. */
  gzip?: Buffer;
  /** 'error': must fail with LAYER_INVALID; 'contained': must succeed with writes inside root only. */
  expect: 'error' | 'contained';
  /** A substring the error message must contain (besides the image and digest). */
  message?: string;
}

/** The corpus; `sentinel` is the absolute path of a directory next to the target rootfs. */
export function hostileLayers(sentinel: string): HostileCase[] {
  const rel = `../${sentinel.split('/').pop()}`;
  const valid = rawTar([{ name: 'dir/', type: 'Directory' }, { name: 'dir/file', data: 'x'.repeat(100_000) }]);
  const gz = gzipSync(valid);
  return [
    { name: 'dot-dot entry', tar: rawTar([{ name: `${rel}/pwned`, data: 'pwned' }]), expect: 'error', message: '".."' },
    { name: 'dot-dot inside the name', tar: rawTar([{ name: 'a/../../pwned', data: 'pwned' }]), expect: 'error', message: '".."' },
    { name: 'absolute name', tar: rawTar([{ name: `${sentinel}/pwned`, data: 'pwned' }]), expect: 'contained' },
    {
      name: 'relative symlink out, then write through it',
      tar: rawTar([{ name: 'evil', type: 'SymbolicLink', linkpath: `../../../../../../..${sentinel}` }, { name: 'evil/pwned', data: 'pwned' }]),
      expect: 'contained',
    },
    {
      name: 'absolute symlink out, then write through it',
      tar: rawTar([{ name: 'evil', type: 'SymbolicLink', linkpath: sentinel }, { name: 'evil/pwned', data: 'pwned' }]),
      expect: 'contained',
    },
    {
      name: 'directory replaced by a symlink to /, then written through',
      tar: rawTar([
        { name: 'd/', type: 'Directory' },
        { name: 'd/inner', data: 'ok' },
        { name: 'd', type: 'SymbolicLink', linkpath: '/' },
        { name: `d${sentinel}/pwned`, data: 'pwned' },
      ]),
      expect: 'contained',
    },
    { name: 'hard link to a dot-dot path', tar: rawTar([{ name: 'hl', type: 'Link', linkpath: `${rel}/file` }]), expect: 'error', message: '".."' },
    { name: 'hard link to an absolute host path', tar: rawTar([{ name: 'hl', type: 'Link', linkpath: `${sentinel}/file` }]), expect: 'error', message: 'does not exist in the rootfs' },
    {
      name: 'hard link through a symlink out of the root',
      tar: rawTar([{ name: 's', type: 'SymbolicLink', linkpath: sentinel }, { name: 'hl', type: 'Link', linkpath: 's/file' }]),
      expect: 'error',
      message: 'does not exist in the rootfs',
    },
    {
      name: 'device nodes and a fifo',
      tar: rawTar([
        { name: 'dev/', type: 'Directory' },
        { name: 'dev/null', type: 'CharacterDevice', devmaj: 1, devmin: 3, mode: 0o666 },
        { name: 'dev/loop9', type: 'BlockDevice', devmaj: 7, devmin: 9, mode: 0o660 },
        { name: 'dev/pipe', type: 'FIFO', mode: 0o600 },
      ]),
      expect: 'contained',
    },
    { name: 'device node with a dot-dot name', tar: rawTar([{ name: `${rel}/null`, type: 'CharacterDevice', devmaj: 1, devmin: 3 }]), expect: 'error', message: '".."' },
    { name: 'PAX header larger than the limit', tar: rawTar([{ name: 'x', paxClaimedSize: 64 << 20 }], false), expect: 'error', message: 'exceeds' },
    { name: 'PAX path of 300 kB', tar: rawTar([{ name: 'long', pax: { path: 'a'.repeat(300_000) }, data: 'x' }]), expect: 'error' },
    { name: 'PAX uid beyond 32 bits', tar: rawTar([{ name: 'f', pax: { uid: String(2 ** 40) }, data: 'x' }]), expect: 'error' },
    { name: 'PAX size far beyond the stream', tar: rawTar([{ name: 'f', pax: { size: '99999999999999999999' }, data: 'x' }]), expect: 'error', message: 'truncated' },
    { name: 'PAX path with dot-dot', tar: rawTar([{ name: 'innocent', pax: { path: `${rel}/pwned` }, data: 'pwned' }]), expect: 'error', message: '".."' },
    { name: 'malformed PAX record', tar: rawTar([{ name: 'x', pax: { '': 'y' }, data: 'x' }]), expect: 'error', message: 'PAX' },
    { name: 'whiteout of dot-dot', tar: rawTar([{ name: '.wh...', data: '' }]), expect: 'error', message: 'invalid name' },
    {
      name: 'symlink loop',
      tar: rawTar([{ name: 'a', type: 'SymbolicLink', linkpath: 'b' }, { name: 'b', type: 'SymbolicLink', linkpath: 'a' }, { name: 'a/x', data: 'x' }]),
      expect: 'error',
      message: 'too many levels',
    },
    { name: 'truncated tar', tar: valid.subarray(0, 2048), expect: 'error', message: 'truncated' },
    { name: 'truncated gzip', tar: valid, gzip: gz.subarray(0, Math.floor(gz.length / 2)), expect: 'error', message: 'gzip' },
    { name: 'not gzip at all', tar: valid, gzip: Buffer.from('this is not a gzip stream'), expect: 'error', message: 'gzip' },
  ];
}
