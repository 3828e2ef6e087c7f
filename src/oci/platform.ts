// Platform strings ("linux/arm64/v8") and matching a wanted platform against an index entry.
import { BuilderError } from '../util/errors.ts';
import type { Platform } from './types.ts';

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new BuilderError('USAGE', `invalid platform "${text}": expected os/arch[/variant]`);
  }
  const [os, archRaw, variant] = parts;
  const architecture = ARCH_ALIASES[archRaw] ?? archRaw;
  const p: Platform = { os, architecture };
  if (variant) p.variant = variant;
  else if (architecture === 'arm64') p.variant = undefined;
  return p;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The platform of the machine kiln runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const archMap: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const architecture = archMap[process.arch] ?? process.arch;
  const p: Platform = { os: process.platform === 'win32' ? 'windows' : 'linux', architecture };
  if (architecture === 'arm') p.variant = 'v7';
  return p;
}

function normalizedVariant(p: Platform): string | undefined {
  // arm64 images are "v8" whether or not they say so.
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === '')) return 'v8';
  return p.variant || undefined;
}

/** True when `candidate` satisfies `wanted`; a wanted variant must match, a missing one matches any. */
export function platformMatches(wanted: Platform, candidate: Platform | undefined): boolean {
  if (!candidate) return false;
  if (wanted.os !== candidate.os) return false;
  if ((ARCH_ALIASES[wanted.architecture] ?? wanted.architecture) !== (ARCH_ALIASES[candidate.architecture] ?? candidate.architecture)) return false;
  const wv = normalizedVariant(wanted);
  if (wanted.variant && wv !== normalizedVariant(candidate)) return false;
  if (wanted['os.version'] && wanted['os.version'] !== candidate['os.version']) return false;
  return true;
}
