// Parse + expand + plan a generated Dockerfile of 5,000 instructions in 50 stages, and print the
// time per run after warm-up. Target: under 100 ms.
import { loadavg } from 'node:os';
import { parseDockerfile, planStages } from '../src/dockerfile/index.ts';

const STAGES = 50;
const INSTRUCTIONS = 5_000;

function generate(): string {
  const lines = ['# syntax=docker/dockerfile:1', 'ARG BASE=debian', 'ARG TAG=bookworm-slim', 'ARG VERSION=1.0.0'];
  let count = 3;
  for (let s = 0; s < STAGES; s++) {
    // Spread what is left evenly over the remaining stages so the total is exact.
    const perStage = Math.floor((INSTRUCTIONS - count) / (STAGES - s));
    const from = s === 0 ? 'FROM ${BASE}:${TAG} AS stage0' : `FROM ${s % 5 === 0 ? '${BASE}:${TAG}' : `stage${s - 1}`} AS stage${s}`;
    lines.push(from);
    count++;
    for (let i = 1; i < perStage; i++, count++) {
      switch (i % 10) {
        case 1:
          lines.push('ARG VERSION');
          break;
        case 2:
          lines.push(i === 2 ? `ENV APP_HOME=/srv/app${s} PATH=/srv/app${s}/bin:$PATH MODE="release build"` : `ENV STEP=${i} APP_HOME=/srv/app${s} MODE="release build"`);
          break;
        case 3:
          lines.push('WORKDIR ${APP_HOME}/src');
          break;
        case 4:
          lines.push(`RUN --mount=type=cache,target=/root/.cache \\\n    apt-get update && \\\n    # a comment inside the continuation\n    apt-get install -y pkg${i} && rm -rf /var/lib/apt/lists/*`);
          break;
        case 5:
          lines.push(s > 0 ? `COPY --from=stage${s - 1} --chown=app:app \${APP_HOME}/out /opt/from${s}` : 'COPY --chown=app:app . ${APP_HOME}');
          break;
        case 6:
          lines.push(`COPY <<EOF \${APP_HOME}/config${i}.ini\n[app]\nversion=\${VERSION}\nmode=\${MODE}\nEOF`);
          break;
        case 7:
          lines.push(`LABEL org.example.stage="${s}" org.example.version="\${VERSION%%.*}" org.example.home=\${APP_HOME#/srv/}`);
          break;
        case 8:
          lines.push('EXPOSE 8080/tcp ${PORT:-9090}');
          break;
        case 9:
          lines.push('RUN ["/bin/sh", "-c", "echo $APP_HOME"]');
          break;
        default:
          lines.push(`USER \${USER_NAME:-app}:\${GROUP:-app}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

const text = generate();
const run = (): number => {
  const ast = parseDockerfile(text);
  const { stages } = planStages(ast, { buildArgs: new Map([['VERSION', '2.3.4']]), platform: { os: 'linux', architecture: 'amd64' } });
  return ast.instructions.length + stages.length;
};

/** A fixed unrelated workload, to tell a slow or shared machine from a slow frontend. */
function reference(): number {
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < 2_000; i++) sink += JSON.stringify({ i, a: [i, i + 1, 'x'.repeat(i % 50)], b: { c: i } }).length;
  return sink > 0 ? performance.now() - start : 0;
}

const nodes = parseDockerfile(text).instructions.length;
for (let i = 0; i < 20; i++) run();
const times: number[] = [];
const cpuStart = process.cpuUsage();
const RUNS = 30;
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  run();
  times.push(performance.now() - start);
}
const cpu = process.cpuUsage(cpuStart);
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const refs = Array.from({ length: 5 }, reference).sort((a, b) => a - b);
process.stdout.write(
  `parse + expand + plan: ${nodes} instructions, ${STAGES} stages, ${text.length} bytes\n` +
    `median ${median.toFixed(1)} ms, best ${times[0].toFixed(1)} ms, worst ${times[times.length - 1].toFixed(1)} ms over ${RUNS} runs after warm-up (target < 100 ms)\n` +
    `cpu ${((cpu.user + cpu.system) / 1000 / RUNS).toFixed(1)} ms per run; machine reference workload ${refs[0].toFixed(1)} ms (load average ${loadavg()[0].toFixed(1)})\n`,
);
