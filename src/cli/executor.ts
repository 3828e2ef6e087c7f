// kaniko's entry point: `/kiln/executor --context=… --destination=…` takes exactly the argv of
// kaniko's `/kaniko/executor`, so a kaniko pod spec only swaps the image.
import { main } from './main.ts';

const argv = process.argv.slice(2);
// `executor version` and `executor --help` keep their meaning; everything else is a build.
const args = argv[0] === 'version' ? argv : ['build', ...argv];
main(args).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
