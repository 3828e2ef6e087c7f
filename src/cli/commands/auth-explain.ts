// `kiln auth explain IMAGE`: which credential source would answer for an image and why, source by
// source in the chain's order (docs/credentials.md). Decided the way the chain decides, from each
// source's `claims`, so it needs no network and never touches a secret.
import type { ParsedArgs } from '../flags.ts';
import { transportFlags } from '../transport-flags.ts';
import { defaultKeychain } from '../../auth/default-keychain.ts';
import { parseReference } from '../../registry/reference.ts';
import { BuilderError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import type { AuthAction } from './auth.ts';

/** The chain's own flags: what selects and adds sources. */
const chainFlags = transportFlags.filter((f) => f.name === 'registry-auth' || f.name === 'credential-helpers');

interface ExplainRow {
  source: string;
  /** Why the source claims the image, undefined when it passes. */
  claims?: string;
}

/** Every source of the chain in order, with its claim; the first claiming row answers. */
function explainRows(args: ParsedArgs, registry: string, repository: string, env: NodeJS.ProcessEnv): ExplainRow[] {
  const keychain = defaultKeychain({
    registryAuth: args.flags['registry-auth'] as string[],
    credentialHelpers: args.flags['credential-helpers'] as string | undefined,
    env,
  });
  return keychain.sources.map((source) => ({ source: source.name, claims: source.claims(registry, repository) }));
}

export const explainAction: AuthAction = {
  name: 'explain',
  args: 'IMAGE [--registry-auth ...] [--credential-helpers NAMES]',
  summary: 'Print which credential source would answer for IMAGE and why (never a secret)',
  flags: chainFlags,
  async run(args) {
    if (args.positionals.length !== 1) throw new BuilderError('USAGE', `explain takes one IMAGE argument, got ${args.positionals.length}`);
    const ref = parseReference(args.positionals[0]!);
    const rows = explainRows(args, ref.registry, ref.repository, process.env);
    const width = Math.max(...rows.map((r) => r.source.length), 9);
    const lines = [`${ref.registry}/${ref.repository}: registry ${ref.registry}, repository ${ref.repository}`];
    const first = rows.findIndex((r) => r.claims !== undefined);
    rows.forEach((row, i) => {
      const state = row.claims === undefined ? 'passes' : i === first ? `claims: ${row.claims}` : `claims, asked only if the sources above have nothing: ${row.claims}`;
      lines.push(`  ${String(i + 1).padStart(2)}. ${row.source.padEnd(width)}  ${state}`);
    });
    lines.push(`  ${String(rows.length + 1).padStart(2)}. ${'anonymous'.padEnd(width)}  ${first === -1 ? 'answers: no source claims the image' : 'asked if no source above has a credential'}`);
    lines.push(first === -1 ? `answer: anonymous (no credential source claims ${ref.registry})` : `answer: ${rows[first]!.source} (${rows[first]!.claims})`);
    // The claims are built to hold no secret; the redactor is the second line of defence.
    process.stdout.write(redact(lines.join('\n')) + '\n');
    return 0;
  },
};
