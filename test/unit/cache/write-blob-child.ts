// Child process for blob-store.test.ts: writes the file argv[3] into the store at argv[2] as the
// blob argv[4], in small chunks so that two children overlap, and prints the result as JSON.
import { createReadStream } from 'node:fs';
import { BlobStore } from '../../../src/cache/blob-store.ts';
import type { Digest } from '../../../src/oci/digest.ts';

const [root, file, digest] = process.argv.slice(2);
const store = new BlobStore(root);
const info = await store.write(createReadStream(file, { highWaterMark: 16 * 1024 }), { digest: digest as Digest });
process.stdout.write(JSON.stringify(info));
