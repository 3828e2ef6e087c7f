// The step's annotation, made from the build's metadata file (never from the log): the pushed
// image@digest, size, layers, cache hits and the time per step; on failure the failing
// instruction and its Dockerfile line.
import type { BuildMetadata, ReportStep } from '../../executor/build-report.ts';

/** Markdown table cells: a "|" or a newline would end the cell early. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function stepTable(steps: ReportStep[]): string[] {
  if (steps.length === 0) return [];
  const lines = ['', '| Step | Line | Cached | Seconds |', '| --- | --- | --- | --- |'];
  for (const s of steps) lines.push(`| \`${cell(s.instruction)}\` | ${cell(s.file)}:${s.line} | ${s.cached ? 'yes' : 'no'} | ${s.seconds} |`);
  return lines;
}

export function annotationMarkdown(metadata: BuildMetadata): { style: 'success' | 'error'; markdown: string } {
  const r = metadata['kiln.report'];
  const hits = r.steps.filter((s) => s.cached).length;
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
    lines.push(`| \`${cell(img.name)}@${img.digest}\` | ${size(r.size ?? 0)} | ${r.layers ?? 0} | ${hits}/${r.steps.length} | ${r.seconds} |`);
  }
  lines.push(...stepTable(r.steps));
  return { style: 'success', markdown: lines.join('\n') + '\n' };
}
