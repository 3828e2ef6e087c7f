// The step's annotation, made from the build's metadata file (never from the log): the pushed
// image@digest, size, layers, cache hits and the time per step; on failure the failing
// instruction and its Dockerfile line.
import type { BuildMetadata } from '../../executor/build-report.ts';
import { cell, size, stepTable } from '../report-markdown.ts';

export function annotationMarkdown(metadata: BuildMetadata): { style: 'success' | 'error'; markdown: string } {
  const r = metadata['kiln.report'];
  // Out of the steps that can hit the cache: a FROM pulls its base and is never a hit.
  const cacheable = r.steps.filter((s) => !/^FROM\s/i.test(s.instruction));
  const hits = cacheable.filter((s) => s.cached).length;
  if (!r.success) {
    const e = r.error;
    const where = e?.file && e.line ? ` at ${cell(e.file)}:${e.line}` : '';
    const lines = [`### kiln build failed${where}`, ''];
    if (e?.instruction) lines.push(`Failing instruction: \`${cell(e.instruction)}\``, '');
    lines.push('```', (e?.message ?? 'unknown error').replace(/```/g, "'''"), '```', ...stepTable(r.steps));
    return { style: 'error', markdown: lines.join('\n') + '\n' };
  }
  const lines = ['### kiln built an image', '', '| Image | Size | Layers | Cache hits | Seconds |', '| --- | --- | --- | --- | --- |'];
  const digest = metadata['containerimage.digest'] ?? '';
  const images = r.images.length ? r.images : [{ name: '(not pushed)', digest }];
  for (const img of images) {
    lines.push(`| \`${cell(img.name)}@${img.digest}\` | ${size(r.size ?? 0)} | ${r.layers ?? 0} | ${hits}/${cacheable.length} | ${r.seconds} |`);
  }
  lines.push(...stepTable(r.steps));
  return { style: 'success', markdown: lines.join('\n') + '\n' };
}
