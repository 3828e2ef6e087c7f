// Starts one lab registry for a human or a benchmark, optionally pushes base images to it,
// prints where it is as shell variables, and keeps it running until interrupted.
//   node --import tsx scripts/lab/start-registry.ts [plain|tls-basic|token] [--images busybox,debian,manyfiles,multi]
import { parseArgs } from 'node:util';
import { startRegistry, type RegistryVariant } from '../../test/support/registry.ts';
import { BASE_IMAGE_REFS, pushBaseImages, type BaseImageName } from '../../test/support/base-images.ts';

const VARIANTS: RegistryVariant[] = ['plain', 'tls-basic', 'token'];
const IMAGES = Object.keys(BASE_IMAGE_REFS) as BaseImageName[];

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: start-registry.ts [${VARIANTS.join('|')}] [--images ${IMAGES.join(',')}]\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { images: { type: 'string' } } });
} catch (err) {
  usage((err as Error).message);
}
const { positionals, values } = parsed;
if (positionals.length > 1 || (positionals[0] !== undefined && !VARIANTS.includes(positionals[0] as RegistryVariant))) {
  usage(`unknown variant ${positionals.join(' ')}`);
}
const variant = (positionals[0] ?? 'plain') as RegistryVariant;
const images = (values.images ?? '').split(',').filter(Boolean) as BaseImageName[];
const bad = images.filter((i) => !IMAGES.includes(i));
if (bad.length > 0) usage(`unknown image ${bad.join(', ')}`);

const reg = await startRegistry(variant);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void reg.stop().then(() => process.exit(0));
  });
}
const refs = images.length > 0 ? await pushBaseImages(reg, images) : {};
// The password stays in the auth file (docker config.json format); it is never printed.
const lines: Record<string, string | undefined> = {
  KILN_LAB_REGISTRY: reg.host,
  KILN_LAB_REGISTRY_URL: reg.url,
  KILN_LAB_REGISTRY_CA: reg.caFile,
  KILN_LAB_REGISTRY_USER: reg.username,
  KILN_LAB_REGISTRY_AUTH_FILE: reg.authFile,
  KILN_LAB_TOKEN_REALM: reg.tokenServer?.realm,
};
for (const [name, ref] of Object.entries(refs)) lines[`KILN_LAB_IMAGE_${name.toUpperCase()}`] = ref;
for (const [k, v] of Object.entries(lines)) if (v !== undefined) process.stdout.write(`${k}=${v}\n`);
process.stderr.write(`lab registry (${variant}) running; Ctrl-C to stop\n`);
