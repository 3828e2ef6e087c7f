// Starts one lab registry for a human or a benchmark, prints where it is as shell variables,
// and keeps it running until interrupted.
//   node --import tsx scripts/lab/start-registry.ts [plain|tls-basic|token]
import { startRegistry, type RegistryVariant } from '../../test/support/registry.ts';

const VARIANTS: RegistryVariant[] = ['plain', 'tls-basic', 'token'];

function usage(): never {
  process.stderr.write(`usage: start-registry.ts [${VARIANTS.join('|')}]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length > 1 || (args[0] !== undefined && !VARIANTS.includes(args[0] as RegistryVariant))) usage();
const variant = (args[0] ?? 'plain') as RegistryVariant;

const reg = await startRegistry(variant);
// The password stays in the auth file (docker config.json format); it is never printed.
const lines: Record<string, string | undefined> = {
  KILN_LAB_REGISTRY: reg.host,
  KILN_LAB_REGISTRY_URL: reg.url,
  KILN_LAB_REGISTRY_CA: reg.caFile,
  KILN_LAB_REGISTRY_USER: reg.username,
  KILN_LAB_REGISTRY_AUTH_FILE: reg.authFile,
  KILN_LAB_TOKEN_REALM: reg.tokenServer?.realm,
};
for (const [k, v] of Object.entries(lines)) if (v !== undefined) process.stdout.write(`${k}=${v}\n`);
process.stderr.write(`lab registry (${variant}) running; Ctrl-C to stop\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void reg.stop().then(() => process.exit(0));
  });
}
