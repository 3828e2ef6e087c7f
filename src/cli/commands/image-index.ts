// `kiln index create DEST SRC...`: assembles an image index / docker manifest list over images in
// registries and pushes it (src/image/index-create.ts). A SRC is a reference by tag or digest,
// `@DIGEST` for an image already in DEST's repository, or oci-layout:PATH[:TAG] for a local layout.
import type { Command } from '../command.ts';
import type { FlagSpec, ParsedArgs } from '../flags.ts';
import { keyValues } from '../build-flags.ts';
import { clientFromFlags } from './copy.ts';
import { transportFlags } from '../transport-flags.ts';
import { writeText } from '../../executor/outputs.ts';
import { createIndex, type IndexFormat } from '../../image/index-create.ts';
import { parseLocation, type Location } from '../../image/copy.ts';
import { isDigest } from '../../oci/digest.ts';
import { parseReference, Reference } from '../../registry/reference.ts';
import { BuilderError } from '../../util/errors.ts';

const USAGE = 'kiln index create [FLAGS] DEST SRC... (a SRC is REF[:TAG|@DIGEST], @DIGEST in DEST\'s repository, or oci-layout:PATH[:TAG])';

const indexFlags: FlagSpec[] = [
  ...transportFlags,
  { name: 'format', type: 'string', value: 'oci|docker', help: 'OCI image index or docker manifest list (default: a manifest list when every image is docker schema 2, else OCI)' },
  { name: 'annotation', type: 'list', value: 'KEY=VALUE', help: 'annotation of the index (repeatable; OCI only)' },
  { name: 'concurrency', type: 'int', default: 4, value: 'N', help: 'blobs transferred at once when an image is copied into DEST\'s repository' },
  { name: 'digest-file', type: 'string', value: 'PATH', help: 'write the digest of the index to PATH' },
  { name: 'image-name-with-digest-file', type: 'string', value: 'PATH', help: 'write DEST@DIGEST of the index to PATH' },
];

function formatFlag(args: ParsedArgs): IndexFormat | undefined {
  const value = args.flags.format as string | undefined;
  if (value === undefined || value === 'oci' || value === 'docker') return value;
  throw new BuilderError('USAGE', `invalid value "${value}" for flag --format: expected oci or docker`);
}

function sourceLocation(text: string, dest: Reference): Location {
  if (text.startsWith('@')) {
    const digest = text.slice(1);
    if (!isDigest(digest)) throw new BuilderError('USAGE', `${text}: expected @sha256:<64 hex>`);
    return { kind: 'registry', ref: new Reference(dest.registry, dest.repository, undefined, digest) };
  }
  return parseLocation(text);
}

async function create(args: ParsedArgs): Promise<number> {
  const [destText, ...srcTexts] = args.positionals;
  if (!destText || srcTexts.length === 0) throw new BuilderError('USAGE', `expected DEST and at least one SRC; usage: ${USAGE}`);
  const dest = parseReference(destText.startsWith('docker://') ? destText.slice('docker://'.length) : destText);
  const sources = srcTexts.map((s) => sourceLocation(s, dest));
  const format = formatFlag(args);
  const concurrency = args.flags.concurrency as number;
  if (concurrency < 1) throw new BuilderError('USAGE', `invalid value "${concurrency}" for flag --concurrency: must be at least 1`);
  const annotations = keyValues('annotation', args.flags.annotation as string[]);
  const client = clientFromFlags(args);
  try {
    const { digest } = await createIndex(dest, sources, { client, format, annotations, concurrency });
    const digestFile = args.flags['digest-file'] as string | undefined;
    if (digestFile) await writeText(digestFile, digest, 'digest-file');
    const nameFile = args.flags['image-name-with-digest-file'] as string | undefined;
    if (nameFile) await writeText(nameFile, `${dest.context()}@${digest}\n`, 'image-name-with-digest-file');
    process.stdout.write(`${digest}\n`);
  } finally {
    await client.close();
  }
  return 0;
}

export const indexCommand: Command = {
  name: 'index',
  summary: 'Assemble and push a multi-platform image index: kiln index create DEST SRC...',
  args: 'create DEST SRC...',
  flags: indexFlags,
  async run(args) {
    const [action, ...positionals] = args.positionals;
    if (action !== 'create') throw new BuilderError('USAGE', `kiln index: unknown action "${action ?? ''}"; usage: ${USAGE}`);
    return create({ ...args, positionals });
  },
};
