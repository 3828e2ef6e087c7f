// Makes (or finds cached) the lab's base image layouts and prints one line per image:
// name, manifest digest, layout path. Used by humans, benchmarks and the determinism test.
//   node --import tsx scripts/lab/build-images.ts [busybox] [debian] [manyfiles] [multi]
import { BASE_IMAGE_REFS, baseImageDigest, baseImageLayout, type BaseImageName } from '../../test/support/base-images.ts';

const names = Object.keys(BASE_IMAGE_REFS) as BaseImageName[];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !names.includes(w as BaseImageName));
if (unknown.length > 0) {
  process.stderr.write(`unknown image ${unknown.join(', ')}; choose from ${names.join(', ')}\n`);
  process.exit(2);
}
for (const name of (wanted.length > 0 ? wanted : ['busybox', 'multi']) as BaseImageName[]) {
  const layout = await baseImageLayout(name);
  process.stdout.write(`${name}\t${await baseImageDigest(name)}\t${layout}\n`);
}
