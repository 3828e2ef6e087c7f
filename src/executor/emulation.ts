// Whether a RUN for another CPU can run here. The kernel runs a foreign binary only through a
// binfmt_misc entry (qemu-user-static's or tonistiigi/binfmt's, both named qemu-<cpu>); without
// one the command would die with "exec format error", so kiln says what is missing instead.
// The entry needs the F flag: the interpreter is opened when it is registered, so it also works
// inside the build's root, which has no /usr/libexec/qemu-binfmt of its own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPlatform, hostPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';

const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

// OCI architecture -> the CPU name in qemu's binaries and binfmt entries.
const QEMU_CPU: Record<string, string> = {
  amd64: 'x86_64', '386': 'i386', arm64: 'aarch64', arm: 'arm', ppc64le: 'ppc64le', s390x: 's390x',
  riscv64: 'riscv64', mips64le: 'mips64el', mips64: 'mips64', loong64: 'loongarch64',
};

/** True when the host's CPU runs `platform`'s binaries itself (x86-64 runs i386 code). */
export function runsNatively(platform: Platform, host: Platform = hostPlatform()): boolean {
  if (platform.architecture === host.architecture) return true;
  return host.architecture === 'amd64' && platform.architecture === '386';
}

/** What the binfmt_misc entry for `cpu` says, or why there is none usable. */
async function binfmtEntry(cpu: string): Promise<{ ok: true; interpreter: string } | { ok: false; why: string }> {
  const name = `qemu-${cpu}`;
  const status = await readFile(join(BINFMT_DIR, 'status'), 'utf8').catch(() => undefined);
  if (status === undefined) return { ok: false, why: `${BINFMT_DIR} is not mounted` };
  if (status.trim() !== 'enabled') return { ok: false, why: `binfmt_misc is ${status.trim()}` };
  const text = await readFile(join(BINFMT_DIR, name), 'utf8').catch(() => undefined);
  if (text === undefined) return { ok: false, why: `no ${name} entry in ${BINFMT_DIR}` };
  if (!/^enabled$/m.test(text)) return { ok: false, why: `${BINFMT_DIR}/${name} is disabled` };
  const flags = /^flags:\s*(\S*)/m.exec(text)?.[1] ?? '';
  if (!flags.includes('F')) return { ok: false, why: `${BINFMT_DIR}/${name} is registered without the F flag, so its interpreter is not reachable inside the build's root` };
  return { ok: true, interpreter: /^interpreter\s+(\S+)/m.exec(text)?.[1] ?? name };
}

const checked = new Map<string, Promise<void>>();

/**
 * Resolves when a RUN for `platform` can run on this machine (logging once which emulator runs
 * it); otherwise fails with one line naming the platform, the instruction and what is missing.
 */
export function ensureCanRun(platform: Platform, where: string, instruction: string): Promise<void> {
  if (runsNatively(platform)) return Promise.resolve();
  const text = formatPlatform(platform);
  const cpu = QEMU_CPU[platform.architecture] ?? platform.architecture;
  let found = checked.get(cpu);
  if (!found) {
    found = binfmtEntry(cpu).then((entry) => {
      if (!entry.ok) throw new Error(entry.why);
      log.info(`RUN for ${text} runs under the emulator ${entry.interpreter} (binfmt_misc qemu-${cpu})`);
    });
    checked.set(cpu, found);
  }
  return found.catch((err: Error) => {
    throw new BuilderError(
      'ISOLATION',
      `${where}: ${instruction.split('\n')[0]}: RUN for ${text} needs an emulator on this ${formatPlatform(hostPlatform())} machine: ${err.message} ` +
        `(install qemu-user-static with binfmt support, or keep the ${text} stages to COPY/ENV/LABEL and other steps that run nothing)`,
    );
  });
}
