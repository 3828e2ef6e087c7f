// Extended attributes through Debian's `attr` tools. Node has no xattr API; a native addon would
// need a compiler and prebuilt binaries for every target, while getfattr/setfattr handle any
// number of paths in one process, so a layer costs one or two spawns, not one per file. The
// dump format (`# file: PATH` then `name=0sBASE64`) is what `setfattr --restore` reads back.
import { execFile, spawn } from 'node:child_process';
import { BuilderError } from '../util/errors.ts';

export type Xattrs = Map<string, Buffer>;

/** Attributes that describe the host, not the image: overlayfs bookkeeping and SELinux labels. */
export function isHostXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name === 'security.selinux';
}

/** Paths per getfattr call: far below ARG_MAX even for long paths. */
const BATCH = 2000;

/** getfattr/setfattr quote bytes outside printable ASCII, '\\' and '=' as \ooo octal. */
function quote(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    out += byte <= 0x20 || byte >= 0x7f || byte === 0x5c || byte === 0x3d ? `\\${byte.toString(8).padStart(3, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

function unquote(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && /^[0-7]{3}$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(text[i], 'latin1'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeValue(encoded: string): Buffer {
  if (encoded.startsWith('0s')) return Buffer.from(encoded.slice(2), 'base64');
  if (encoded.startsWith('0x')) return Buffer.from(encoded.slice(2), 'hex');
  if (encoded.startsWith('"') && encoded.endsWith('"')) return Buffer.from(unquote(encoded.slice(1, -1)), 'latin1');
  return Buffer.from(encoded, 'utf8');
}

/** The lines of an attr tool's stderr that are failures, not the `benign` per-path answers. */
function failureLines(stderr: string, benign: RegExp): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !benign.test(l));
}

function runGetfattr(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('getfattr', args, { maxBuffer: 256 << 20, encoding: 'latin1' }, (err, stdout, stderr) => {
      // Exit 1 also comes from benign per-path answers; only other stderr lines are failures.
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new BuilderError('IO', 'getfattr not found: install the "attr" package to read extended attributes', { cause: err }));
        return;
      }
      // "No such attribute" answers a -n query on a path without it; not a failure.
      const real = failureLines(stderr, /Operation not supported|No such attribute/);
      if (err && real.length > 0) {
        reject(new BuilderError('IO', `reading extended attributes failed: ${real[0]}`, { cause: err }));
        return;
      }
      resolve(stdout);
    });
  });
}

/**
 * Every attribute of each path (symlinks themselves, not their targets); host-only ones are left
 * out unless `includeHost`. Paths without attributes are absent from the map.
 */
export async function readXattrs(paths: string[], includeHost = false): Promise<Map<string, Xattrs>> {
  const result = new Map<string, Xattrs>();
  for (let i = 0; i < paths.length; i += BATCH) {
    const batch = paths.slice(i, i + BATCH);
    const out = await runGetfattr(['-h', '-d', '--absolute-names', '-e', 'base64', '-m', '-', '--', ...batch]);
    let current: Xattrs | undefined;
    // latin1 keeps every byte as one char, so unquote sees the octal escapes and the raw bytes alike.
    for (const line of out.split('\n')) {
      if (line.startsWith('# file: ')) {
        current = new Map();
        result.set(unquote(line.slice(8)), current);
      } else if (current && line !== '') {
        const eq = line.indexOf('=');
        const name = eq === -1 ? line : line.slice(0, eq);
        if (!includeHost && isHostXattr(name)) continue;
        current.set(name, eq === -1 ? Buffer.alloc(0) : decodeValue(line.slice(eq + 1)));
      }
    }
  }
  for (const [path, attrs] of result) if (attrs.size === 0) result.delete(path);
  return result;
}

/** Sets attributes on many paths with one `setfattr --restore`; symlinks are not followed. */
export async function writeXattrs(entries: Iterable<[string, Xattrs]>): Promise<void> {
  let dump = '';
  for (const [path, attrs] of entries) {
    if (attrs.size === 0) continue;
    dump += `# file: ${quote(path)}\n`;
    for (const [name, value] of attrs) dump += `${name}=0s${value.toString('base64')}\n`;
    dump += '\n';
  }
  if (dump === '') return;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('setfattr', ['-h', '--restore=-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) =>
      reject(new BuilderError('IO', 'setfattr not found: install the "attr" package to write extended attributes', { cause: err })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new BuilderError('IO', `writing extended attributes failed: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`));
    });
    child.stdin.end(dump);
  });
}

/** Removes attribute `name` from every path with one setfattr (symlinks not followed); a path without it is fine. */
export async function removeXattrFromAll(name: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await new Promise<void>((resolve, reject) =>
    execFile('setfattr', ['-h', '-x', name, '--', ...paths], (err, _stdout, stderr) => {
      const real = failureLines(String(stderr), /No such attribute/);
      if (err && real.length > 0) reject(new BuilderError('IO', `removing extended attribute ${name} failed: ${real[0]}`, { cause: err }));
      else resolve();
    }),
  );
}

/** Removes the named attributes from one path (symlinks not followed): one setfattr per name. */
export async function removeXattrs(path: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await new Promise<void>((resolve, reject) =>
      execFile('setfattr', ['-h', '-x', name, '--', path], (err, _stdout, stderr) =>
        err ? reject(new BuilderError('IO', `removing extended attribute ${name} from ${path} failed: ${String(stderr).trim().split('\n')[0] || err.message}`, { cause: err })) : resolve(),
      ),
    );
  }
}
