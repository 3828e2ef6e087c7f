// Markdown pieces the CI faces make from the build's metadata file (the Buildkite annotation, the
// GitHub job summary): table cells, sizes, the per-step table.
import type { ReportStep } from '../executor/build-report.ts';

/** Markdown table cells: a "|" or a newline would end the cell early. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function size(bytes: number): string {
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

/** One row a step: instruction, Dockerfile line, cache hit, seconds; no lines for no steps. */
export function stepTable(steps: ReportStep[]): string[] {
  if (steps.length === 0) return [];
  const lines = ['', '| Step | Line | Cached | Seconds |', '| --- | --- | --- | --- |'];
  for (const s of steps) lines.push(`| \`${cell(s.instruction)}\` | ${cell(s.file)}:${s.line} | ${s.cached ? 'yes' : 'no'} | ${s.seconds} |`);
  return lines;
}
