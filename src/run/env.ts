// The environment a RUN command gets: exactly the stage's env, plus what docker adds when absent.

/** Docker's default PATH for Linux containers, used when the image's env has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function has(env: string[], key: string): boolean {
  return env.some((kv) => kv.startsWith(`${key}=`));
}

export function commandEnv(env: string[], home: string): string[] {
  const out = [...env];
  if (!has(out, 'PATH')) out.push(`PATH=${DEFAULT_PATH}`);
  if (!has(out, 'HOME')) out.push(`HOME=${home}`);
  return out;
}

/** Node's spawn wants an object; later duplicates win, as with execve and a shell's export. */
export function envObject(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
