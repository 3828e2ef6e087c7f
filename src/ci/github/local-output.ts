// outputs: type=local,dest=DIR, buildx's export of the image's filesystem rather than an image:
// the executor writes an OCI layout (--oci-layout-path), and its layers are applied in order onto
// DIR by the safe extractor (whiteouts honoured, nothing written outside DIR).
import { readLayout } from '../../image/layout.ts';
import { BuilderError } from '../../util/errors.ts';
import { extractImage, type ApplyStats } from '../../tar/extract.ts';

export async function exportLocal(layout: string, dest: string): Promise<ApplyStats> {
  const read = await readLayout(layout);
  if (read.kind !== 'image') throw new BuilderError('USAGE', `input outputs: type=local,dest=${dest} takes a single-platform build; this one made an index`);
  // writers: 0 keeps the extraction on this thread: the writer threads' script sits beside the
  // executor's bundle, not beside the action's chunks.
  return extractImage(dest, await read.image.layers(), { image: `type=local,dest=${dest}` }, { writers: 0 });
}
